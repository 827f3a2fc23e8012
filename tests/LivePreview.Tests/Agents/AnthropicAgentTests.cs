using System.Text.Json;
using LivePreview.Agents;
using LivePreview.Events;
using static LivePreview.Tests.Agents.AnthropicWire;

namespace LivePreview.Tests.Agents;

/// <summary>The chat adapter through the official Anthropic SDK against a local server speaking the Messages API's streamed SSE.</summary>
public sealed class AnthropicAgentTests : IAsyncLifetime
{
    private const string OriginalApp = "export default function App() {\n  return <h1>Hello from React + Vite</h1>\n}\n";
    private const string EditedApp = "export default function App() {\n  return <h1>Hello from the agent</h1>\n}\n";

    private readonly AgentKit _kit = new();
    private FakeModelServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeModelServer.StartAsync(_kit.Timeline);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_write_lands_on_disk_while_the_model_is_still_streaming_and_its_result_goes_back_in_the_next_request()
    {
        _kit.Sandbox.Seed("src/App.tsx", OriginalApp);
        _server
            .Then(ToolUses("I'll change the heading.", [new ToolUse("toolu_01", "write_file", new { path = "src/App.tsx", content = EditedApp })],
                // The message is not over until the file is on disk: the tool ran from the stream, not after it.
                afterToolBlocks: () => _kit.Timeline.WaitForAsync("write src/App.tsx", TimeSpan.FromSeconds(10))))
            .Then(Text("Done: the heading now greets you from the agent."));

        var events = await _kit.RunAsync(_kit.Anthropic(_server.BaseUrl), _kit.Turn("change the heading"));

        Assert.Equal(EditedApp, _kit.Sandbox.Text("src/App.tsx"));
        Assert.Equal(
            ["called write_file src/App.tsx", "completed write_file src/App.tsx", "turn completed"],
            events.Where(e => e is not AgentTextDelta).Select(AgentKit.Describe));
        Assert.Equal("I'll change the heading.", string.Concat(events.TakeWhile(e => e is AgentTextDelta).Cast<AgentTextDelta>().Select(d => d.Text)));
        var t = _kit.Timeline;
        Assert.True(t.IndexOf("called write_file src/App.tsx") < t.IndexOf("write src/App.tsx"));
        Assert.True(t.IndexOf("write src/App.tsx") < t.IndexOf("completed write_file src/App.tsx"));
        Assert.True(t.IndexOf("completed write_file src/App.tsx") < t.IndexOf("request 2"));
        Assert.True(t.IndexOf("request 2") < t.IndexOf("turn completed"));
        var completed = Assert.IsType<AgentTurnCompleted>(events[^1]);
        Assert.Equal("Done: the heading now greets you from the agent.", completed.Summary);
        Assert.Equal(240, completed.InputTokens);
        Assert.Equal(84, completed.OutputTokens);
        var changed = Assert.Single(_kit.Events.OfType(EventTypes.FileChanged));
        Assert.Equal("agent", changed.Payload!.Value.GetProperty("source").GetString());
        Assert.Contains("Wrote src/App.tsx", ToolResult(_server.Requests[1], "toolu_01"));
        var echoed = _server.Requests[1].Body.GetProperty("messages").EnumerateArray().ToList()[^2];
        Assert.Equal("assistant", echoed.GetProperty("role").GetString());
        var toolUse = echoed.GetProperty("content").EnumerateArray().Single(b => b.GetProperty("type").GetString() == "tool_use");
        Assert.Equal("toolu_01", toolUse.GetProperty("id").GetString());
        Assert.Equal(EditedApp, toolUse.GetProperty("input").GetProperty("content").GetString());
    }

    [Fact]
    public async Task The_first_request_carries_the_model_the_key_the_system_prompt_and_the_five_tools()
    {
        _server.Then(Text("Nothing to do."));

        await _kit.RunAsync(_kit.Anthropic(_server.BaseUrl), _kit.Turn("hello"));

        var request = Assert.Single(_server.Requests);
        Assert.Equal("/v1/messages", request.Path);
        Assert.Equal("claude-test", request.Body.GetProperty("model").GetString());
        Assert.True(request.Body.GetProperty("stream").GetBoolean());
        // This SDK version sends the key as a bearer token (it documents ClientOptions.ApiKey so).
        Assert.Equal("Bearer sk-ant-test", request.Headers["authorization"]);
        Assert.Equal(8192, request.Body.GetProperty("max_tokens").GetInt32());
        Assert.Contains("live-preview sandbox", request.Body.GetProperty("system").ToString());
        Assert.Equal(["list_files", "read_file", "write_file", "replace_text", "delete_file"],
            request.Body.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        var replace = request.Body.GetProperty("tools").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "replace_text");
        Assert.Equal(["path", "old_text", "new_text"], replace.GetProperty("input_schema").GetProperty("required").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task Replace_text_that_matches_nothing_or_several_times_goes_back_to_the_model_as_an_error()
    {
        _kit.Sandbox.Seed("src/App.tsx", "<p>x</p>\n<p>x</p>\n");
        _server
            .Then(ToolUses(null, new ToolUse("toolu_a", "replace_text", new { path = "src/App.tsx", old_text = "<h1>Goodbye</h1>", new_text = "<h1>Hi</h1>" })))
            .Then(ToolUses(null, new ToolUse("toolu_b", "replace_text", new { path = "src/App.tsx", old_text = "<p>x</p>", new_text = "<p>y</p>" })))
            .Then(Text("I could not make the edit."));

        var events = await _kit.RunAsync(_kit.Anthropic(_server.BaseUrl), _kit.Turn("edit"));

        Assert.Contains("not found", ToolResult(_server.Requests[1], "toolu_a"));
        Assert.Contains("read_file", ToolResult(_server.Requests[1], "toolu_a"));
        Assert.Contains("occurs 2 times", ToolResult(_server.Requests[2], "toolu_b"));
        Assert.Equal(2, events.OfType<AgentToolCompleted>().Count(c => !c.Succeeded));
        Assert.IsType<AgentTurnCompleted>(events[^1]);
        Assert.Equal("<p>x</p>\n<p>x</p>\n", _kit.Sandbox.Text("src/App.tsx"));
        Assert.DoesNotContain(_kit.Sandbox.Calls, c => c.StartsWith("write", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Paths_outside_the_workspace_are_refused_without_touching_the_disk()
    {
        _server
            .Then(ToolUses("Let me look around.",
                new ToolUse("toolu_1", "write_file", new { path = "../../etc/passwd", content = "root::0:0::/:/bin/sh" }),
                new ToolUse("toolu_2", "read_file", new { path = "/etc/shadow" }),
                new ToolUse("toolu_3", "delete_file", new { path = "src/..%2F..%2Fetc" })))
            .Then(Text("Those paths are outside the project."));

        var events = await _kit.RunAsync(_kit.Anthropic(_server.BaseUrl), _kit.Turn("escape"));

        Assert.Empty(_kit.Sandbox.Calls);
        Assert.Empty(_kit.Events.Events);
        Assert.Equal(3, events.OfType<AgentToolCompleted>().Count(c => !c.Succeeded && c.Path is null));
        Assert.Contains("'..'", ToolResult(_server.Requests[1], "toolu_1"));
        Assert.Contains("absolute", ToolResult(_server.Requests[1], "toolu_2"));
        Assert.Contains("'..'", ToolResult(_server.Requests[1], "toolu_3"));
        Assert.IsType<AgentTurnCompleted>(events[^1]);
    }

    [Fact]
    public async Task Cancelling_stops_the_turn_and_the_request()
    {
        _server.Then(Stalls("Thinking about it"));
        using var cts = new CancellationTokenSource();
        var adapter = _kit.Anthropic(_server.BaseUrl);
        var seen = new List<AgentEvent>();

        var started = DateTime.UtcNow;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in adapter.RunTurnAsync(_kit.Turn("think"), cts.Token))
            {
                seen.Add(e);
                await cts.CancelAsync();
            }
        });

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
        Assert.IsType<AgentTextDelta>(Assert.Single(seen));
        await _kit.Timeline.WaitForAsync("request 1 aborted", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task An_api_error_ends_the_turn_with_a_failure_event_rather_than_an_exception()
    {
        _server.Then(Error(401, "authentication_error", "invalid x-api-key"));

        var events = await _kit.RunAsync(_kit.Anthropic(_server.BaseUrl), _kit.Turn("hello"));

        var failed = Assert.IsType<AgentFailed>(Assert.Single(events));
        Assert.Contains("invalid x-api-key", failed.Message);
    }

    [Fact]
    public async Task Without_an_api_key_the_turn_fails_saying_what_to_set()
    {
        var adapter = _kit.Anthropic(_server.BaseUrl, apiKey: null);

        var events = await _kit.RunAsync(adapter, _kit.Turn("hello"));

        var failed = Assert.IsType<AgentFailed>(Assert.Single(events));
        Assert.Contains("LivePreview__Agents__Anthropic__ApiKey", failed.Message);
        Assert.Contains("ANTHROPIC_API_KEY", failed.Message);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public void A_base_url_that_is_not_http_is_reported_before_any_request()
    {
        var availability = _kit.Anthropic("api.anthropic.com").CheckAvailability(null);

        Assert.False(availability.Available);
        Assert.Contains("LivePreview__Agents__Anthropic__BaseUrl", availability.Problem);
    }

    /// <summary>The content of the tool_result block for <paramref name="toolUseId"/> in the request's last (user) message.</summary>
    private static string ToolResult(RecordedRequest request, string toolUseId)
    {
        var last = request.Body.GetProperty("messages").EnumerateArray().Last();
        Assert.Equal("user", last.GetProperty("role").GetString());
        var block = last.GetProperty("content").EnumerateArray()
            .Single(b => b.GetProperty("type").GetString() == "tool_result" && b.GetProperty("tool_use_id").GetString() == toolUseId);
        var content = block.GetProperty("content");
        return content.ValueKind == JsonValueKind.String
            ? content.GetString()!
            : string.Concat(content.EnumerateArray().Select(c => c.GetProperty("text").GetString()));
    }
}
