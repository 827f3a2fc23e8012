using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Agents;
using LivePreview.Tests.Agents;
using LivePreview.Tests.Auth;
using LivePreview.Tests.Support;
using static LivePreview.Tests.Agents.OpenAIWire;

namespace LivePreview.Tests.Commands;

/// <summary>The chat adapter's run_command tool, scripted by a fake OpenAI-compatible server, runs in a real sandbox through the commands service.</summary>
[Collection(ServiceCollection.Name)]
public sealed class RunCommandToolTests : IAsyncLifetime
{
    private readonly AgentKit _kit = new();
    private LivePreviewHost _host = null!;
    private FakeModelServer _server = null!;

    public async Task InitializeAsync()
    {
        _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?> { ["LivePreview:Sandboxes:AutoStartPreview"] = "false" });
        _server = await FakeModelServer.StartAsync(_kit.Timeline);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task The_model_runs_a_command_gets_its_exit_code_and_output_tail_and_the_command_is_recorded_with_events()
    {
        using var owner = AuthClients.WithKey(_host, await CommandWorld.KeyAsync(_host, "agent-owner"));
        var sandboxId = await CommandWorld.CreateRunningSandboxAsync(owner);
        _server
            .Then(ToolCalls("Checking.", new ToolCall("call_1", "run_command",
                new { command = new[] { "sh", "-c", "echo from-the-agent; pwd; exit 5" }, cwd = "/app/src" })))
            .Then(Text("The check failed with 5."));
        var workspace = _host.Service<AgentWorkspaceFactory>().For(sandboxId);
        var turn = new AgentTurn("pssession", sandboxId, "react-vite", "run the check", null, [], [], workspace);

        var events = await _kit.RunAsync(_kit.OpenAI(_server.BaseUrl + "/v1"), turn);

        Assert.Equal(["called run_command", "completed run_command", "turn completed"], events.Where(e => e is not AgentTextDelta).Select(AgentKit.Describe));
        Assert.Contains(_server.Requests[0].Body.GetProperty("tools").EnumerateArray(), t => t.GetProperty("function").GetProperty("name").GetString() == "run_command");
        var result = _server.Requests[1].Body.GetProperty("messages").EnumerateArray().Last();
        Assert.Equal("tool", result.GetProperty("role").GetString());
        var text = result.GetProperty("content").ToString();
        Assert.Contains("status: exited", text);
        Assert.Contains("exit code: 5", text);
        Assert.Contains("from-the-agent\\n/app/src", text.Replace("\n", "\\n", StringComparison.Ordinal));

        var commands = await owner.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{sandboxId}/commands");
        var recorded = Assert.Single(commands.EnumerateArray());
        Assert.Equal("exited", recorded.GetProperty("status").GetString());
        Assert.Equal(5, recorded.GetProperty("exit_code").GetInt32());
        var types = (await owner.GetFromJsonAsync<JsonElement>($"api/v1/events?after=0&limit=1000&sandbox_id={sandboxId}"))
            .GetProperty("events").EnumerateArray().Select(e => e.GetProperty("type").GetString()).Where(t => t!.StartsWith("COMMAND_", StringComparison.Ordinal));
        Assert.Equal(["COMMAND_STARTED", "COMMAND_EXITED"], types);
    }

    [Fact]
    public async Task A_bad_command_goes_back_to_the_model_as_a_message_and_runs_nothing()
    {
        using var owner = AuthClients.WithKey(_host, await CommandWorld.KeyAsync(_host, "agent-owner-2"));
        var sandboxId = await CommandWorld.CreateRunningSandboxAsync(owner);
        _server
            .Then(ToolCalls(null, new ToolCall("call_1", "run_command", new { command = new[] { "ls" }, cwd = "/etc" })))
            .Then(Text("Sorry."));
        var workspace = _host.Service<AgentWorkspaceFactory>().For(sandboxId);

        await _kit.RunAsync(_kit.OpenAI(_server.BaseUrl + "/v1"), new AgentTurn("pssession", sandboxId, "react-vite", "list", null, [], [], workspace));

        var result = _server.Requests[1].Body.GetProperty("messages").EnumerateArray().Last().GetProperty("content").ToString();
        Assert.Contains("outside the workspace", result);
        Assert.Empty((await owner.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{sandboxId}/commands")).EnumerateArray());
    }
}
