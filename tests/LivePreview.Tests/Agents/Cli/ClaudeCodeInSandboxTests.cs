using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Gateway;
using LivePreview.Tests.Support;
using static LivePreview.Tests.Agents.AnthropicWire;

namespace LivePreview.Tests.Agents.Cli;

/// <summary>
/// The real Claude Code from the tools layer running inside a real sandbox of the real service, driven through the
/// session API; only the model is faked, and the service's gateway forwards to it with a provider key the sandbox
/// never sees.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class ClaudeCodeInSandboxTests : IAsyncLifetime
{
    private readonly Timeline _timeline = new();
    private SandboxAgentKit _kit = null!;

    public async Task InitializeAsync() => _kit = await SandboxAgentKit.StartAsync(_timeline);

    public Task DisposeAsync() => _kit.DisposeAsync();

    [Fact]
    public async Task Claude_code_in_the_sandbox_edits_the_preview_runs_bash_and_no_provider_key_reaches_the_sandbox()
    {
        var sandboxId = await _kit.RunningSandboxAsync();
        var token = _kit.Host.Service<GatewayTokens>().For(sandboxId);
        const string app = "export default function App() { return <h1>Written by Claude Code in its sandbox</h1>; }\n";
        _kit.Model
            // Claude Code writes an existing file only after reading it.
            .Then(ToolUses("Reading the app.", new ToolUse("toolu_r1", "Read", new { file_path = "/app/src/App.tsx" })))
            .Then(ToolUses("Rewriting it.", new ToolUse("toolu_w1", "Write", new { file_path = "/app/src/App.tsx", content = app })))
            .Then(ToolUses(null, new ToolUse("toolu_b1", "Bash", new { command = "echo hi > /app/ran.txt", description = "Leave a mark" })))
            .Then(ToolUses(null, new ToolUse("toolu_b2", "Bash", new
            {
                command = "for f in /proc/[0-9]*/environ; do echo \"== $f\"; tr '\\0' '\\n' < \"$f\"; done",
                description = "Show every environment",
            })))
            .Then(Text("The app is rewritten."));

        var session = await _kit.StartSessionAsync(sandboxId, "claude-code", "Rewrite the app's heading");
        Assert.Equal("claude-code", session.GetProperty("agent").GetString());
        var completed = await _kit.WaitForSessionAsync(sandboxId, "completed");

        Assert.Contains("The app is rewritten.", completed.GetProperty("turns")[0].GetProperty("summary").GetString());
        var preview = (await _kit.Host.WaitForPreviewAsync(sandboxId)).GetProperty("preview_url").GetString()!;
        Assert.Contains("Written by Claude Code in its sandbox", await _kit.Host.Http.GetStringAsync(preview + "src/App.tsx"));
        Assert.Equal("hi\n", await _kit.Host.Http.GetStringAsync($"api/v1/sandboxes/{sandboxId}/files/ran.txt"));

        // The agent's process (and the shell it ran) had exactly the adapter's environment: the gateway on the sandbox's
        // loopback and the sandbox's token, nothing of the service's and not even the variables other sandbox processes get.
        var environments = ToolResultText(_kit.Model.Requests[4], "toolu_b2");
        Assert.Contains("ANTHROPIC_BASE_URL=http://127.0.0.1:4319/anthropic", environments);
        Assert.Contains("ANTHROPIC_API_KEY=" + token, environments);
        Assert.Contains("HOME=/home/sandbox", environments);
        // ...and the registry proxy, so an npm install it runs has its way out (no credential in it).
        Assert.Matches("(?m)^npm_config_proxy=http://", environments);
        Assert.Matches("(?m)^HTTPS_PROXY=http://", environments);
        Assert.DoesNotContain(SandboxAgentKit.RealKey, environments);
        Assert.DoesNotContain("LIVEPREVIEW_SANDBOX_TOKEN=", environments);
        Assert.DoesNotContain("ASPNETCORE", environments);
        await _kit.AssertNoKeyInSandboxAsync(sandboxId);
        Assert.Equal(5, _kit.Model.Requests.Count);
        Assert.All(_kit.Model.Requests, r => Assert.Equal("/v1/messages", r.Path));
    }

    [Fact]
    public async Task Claude_code_asks_through_our_mcp_is_interrupted_mid_turn_and_resumes_its_own_conversation()
    {
        var sandboxId = await _kit.RunningSandboxAsync();
        _kit.Model
            .Then(ToolUses(null, new ToolUse("toolu_q1", "mcp__livepreview__ask_user", new { question = "Which colour should the header be?", choices = new[] { "teal", "plum" } })))
            .Then(Text("Teal it is."));

        await _kit.StartSessionAsync(sandboxId, "claude-code", "Ask me about the header colour");
        await _kit.WaitForSessionAsync(sandboxId, "completed", q =>
            q.GetProperty("question").GetString() == "Which colour should the header be?" ? "teal, please" : null);

        // The MCP tool's answer is the user's, in the next model request.
        Assert.Contains("teal, please", ToolResultText(_kit.Model.Requests[1], "toolu_q1"));
        var questions = await _kit.Host.Http.GetFromJsonAsync<JsonElement>(SandboxAgentKit.Route(sandboxId, "questions"));
        Assert.Contains(questions.EnumerateArray(), q => q.GetProperty("question").GetString() == "Which colour should the header be?"
            && q.GetProperty("status").GetString() == "answered");

        // A resumed turn whose model answer holds: interrupt it mid-stream.
        _kit.Model.Then(Holds("Let me think about the footer"));
        using (var resumed = await _kit.Host.Http.PostAsJsonAsync(SandboxAgentKit.Route(sandboxId, "resume"), new { instruction = "now the footer" }))
        {
            Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        }
        await _timeline.WaitForAsync("request 3", TimeSpan.FromSeconds(90));
        using (var interrupt = await _kit.Host.Http.PostAsync(SandboxAgentKit.Route(sandboxId, "interrupt"), null))
        {
            Assert.Equal(HttpStatusCode.OK, interrupt.StatusCode);
        }
        var interrupted = await _kit.WaitForSessionAsync(sandboxId, "interrupted");
        Assert.True(interrupted.GetProperty("can_resume").GetBoolean());
        await _timeline.WaitForAsync("request 3 aborted", TimeSpan.FromSeconds(30));

        _kit.Model.Then(Text("The footer is plum."));
        using (var resumed = await _kit.Host.Http.PostAsJsonAsync(SandboxAgentKit.Route(sandboxId, "resume"), new { instruction = "make the footer plum" }))
        {
            Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        }
        var done = await _kit.WaitForSessionAsync(sandboxId, "completed");
        Assert.Equal(["completed", "interrupted", "completed"], done.GetProperty("turns").EnumerateArray().Select(t => t.GetProperty("status").GetString()));

        // Claude Code resumed its own session from the transcript in the sandbox's HOME: the last request holds the whole conversation.
        var last = SandboxAgentKit.Messages(_kit.Model.Requests[^1]);
        var order = new[] { "Ask me about the header colour", "teal, please", "Teal it is.", "now the footer", "make the footer plum" }
            .Select(text => last.IndexOf(text, StringComparison.Ordinal)).ToList();
        Assert.True(order.All(i => i >= 0) && order.SequenceEqual(order.Order()), $"History out of order or missing ({string.Join(", ", order)}): {last}");
        var transcripts = await _kit.RunCommandAsync(sandboxId, "sh", "-c", "ls /home/sandbox/.claude/projects/*/ | grep -c jsonl");
        Assert.Equal("1", transcripts.Trim());
        await _kit.AssertNoKeyInSandboxAsync(sandboxId);
    }

    [Fact]
    public async Task After_a_service_restart_claude_code_resumes_from_the_transcript_in_the_sandbox_home()
    {
        var sandboxId = await _kit.RunningSandboxAsync();
        _kit.Model.Then(Text("Noted: the otter theme."));
        await _kit.StartSessionAsync(sandboxId, "claude-code", "Remember the otter theme");
        await _kit.WaitForSessionAsync(sandboxId, "completed");

        await _kit.RestartAsync();
        await _kit.Host.WaitForPreviewAsync(sandboxId);
        _kit.Model.Then(Text("The theme was otters."));
        using (var resumed = await _kit.Host.Http.PostAsJsonAsync(SandboxAgentKit.Route(sandboxId, "resume"), new { instruction = "which theme did I ask for?" }))
        {
            Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        }
        await _kit.WaitForSessionAsync(sandboxId, "completed", timeout: TimeSpan.FromMinutes(3));

        var last = SandboxAgentKit.Messages(_kit.Model.Requests[^1]);
        var order = new[] { "Remember the otter theme", "Noted: the otter theme.", "which theme did I ask for?" }
            .Select(text => last.IndexOf(text, StringComparison.Ordinal)).ToList();
        Assert.True(order.All(i => i >= 0) && order.SequenceEqual(order.Order()), $"History out of order or missing ({string.Join(", ", order)}): {last}");
        await _kit.AssertNoKeyInSandboxAsync(sandboxId);
    }

    /// <summary>The text of the tool_result for <paramref name="toolUseId"/> in a request's messages.</summary>
    internal static string ToolResultText(RecordedRequest request, string toolUseId)
    {
        foreach (var message in request.Body.GetProperty("messages").EnumerateArray())
        {
            if (message.GetProperty("content") is { ValueKind: JsonValueKind.Array } content)
            {
                foreach (var block in content.EnumerateArray())
                {
                    if (block.TryGetProperty("tool_use_id", out var id) && id.GetString() == toolUseId)
                    {
                        return block.GetProperty("content").ValueKind == JsonValueKind.String
                            ? block.GetProperty("content").GetString()!
                            : block.GetProperty("content").GetRawText();
                    }
                }
            }
        }
        throw new Xunit.Sdk.XunitException($"No tool_result for {toolUseId} in {request.Body.GetRawText()}");
    }
}
