using System.Text.Json;
using LivePreview.Agents;
using static LivePreview.Tests.Agents.OpenAIWire;

namespace LivePreview.Tests.Agents;

/// <summary>The chat adapter through the OpenAI SDK against a local server streaming chat completions the way Ollama and vLLM do.</summary>
public sealed class OpenAIAgentTests : IAsyncLifetime
{
    private const string App = "export default function App() {\n  return <h1>Hello from React + Vite</h1>\n}\n";

    private readonly AgentKit _kit = new();
    private FakeModelServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeModelServer.StartAsync(_kit.Timeline);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private string BaseUrl => _server.BaseUrl + "/v1";

    [Fact]
    public async Task A_streamed_tool_call_edits_the_file_before_the_turn_ends_and_the_result_goes_back_in_the_next_request()
    {
        _kit.Sandbox.Seed("src/App.tsx", App);
        _server
            .Then(ToolCalls("Editing the heading.", new ToolCall("call_1", "replace_text",
                new { path = "src/App.tsx", old_text = "<h1>Hello from React + Vite</h1>", new_text = "<h1>Hello from Ollama</h1>" })))
            .Then(Text("Changed the heading."));

        var events = await _kit.RunAsync(_kit.OpenAI(BaseUrl), _kit.Turn("change the heading"));

        Assert.Equal(App.Replace("React + Vite", "Ollama", StringComparison.Ordinal), _kit.Sandbox.Text("src/App.tsx"));
        Assert.Equal(
            ["called replace_text src/App.tsx", "completed replace_text src/App.tsx", "turn completed"],
            events.Where(e => e is not AgentTextDelta).Select(AgentKit.Describe));
        var t = _kit.Timeline;
        Assert.True(t.IndexOf("called replace_text src/App.tsx") < t.IndexOf("write src/App.tsx"));
        Assert.True(t.IndexOf("write src/App.tsx") < t.IndexOf("completed replace_text src/App.tsx"));
        Assert.True(t.IndexOf("completed replace_text src/App.tsx") < t.IndexOf("request 2"));
        Assert.True(t.IndexOf("request 2") < t.IndexOf("turn completed"));
        var completed = Assert.IsType<AgentTurnCompleted>(events[^1]);
        Assert.Equal("Changed the heading.", completed.Summary);
        // Tokens of the whole turn: two requests of 80 in and 20 out each.
        Assert.Equal(160, completed.InputTokens);
        Assert.Equal(40, completed.OutputTokens);

        var first = _server.Requests[0];
        Assert.Equal("/v1/chat/completions", first.Path);
        Assert.Equal("qwen-test", first.Body.GetProperty("model").GetString());
        Assert.True(first.Body.GetProperty("stream").GetBoolean());
        Assert.Equal("Bearer no-key", first.Headers["authorization"]);
        Assert.Equal("system", first.Body.GetProperty("messages")[0].GetProperty("role").GetString());
        Assert.Equal(5, first.Body.GetProperty("tools").GetArrayLength());

        var messages = _server.Requests[1].Body.GetProperty("messages").EnumerateArray().ToList();
        var call = messages[^2].GetProperty("tool_calls")[0];
        Assert.Equal("call_1", call.GetProperty("id").GetString());
        Assert.Equal("replace_text", call.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("tool", messages[^1].GetProperty("role").GetString());
        Assert.Equal("call_1", messages[^1].GetProperty("tool_call_id").GetString());
        Assert.Contains("Replaced the text in src/App.tsx", Content(messages[^1]));
    }

    [Fact]
    public async Task A_missing_file_and_a_missing_argument_go_back_to_the_model_as_errors()
    {
        _server
            .Then(ToolCalls(null,
                new ToolCall("call_1", "read_file", new { path = "src/Nope.tsx" }),
                new ToolCall("call_2", "write_file", new { content = "no path" })))
            .Then(Text("Sorry."));

        var events = await _kit.RunAsync(_kit.OpenAI(BaseUrl), _kit.Turn("read"));

        var results = _server.Requests[1].Body.GetProperty("messages").EnumerateArray().Where(m => m.GetProperty("role").GetString() == "tool").ToList();
        Assert.Equal(2, results.Count);
        Assert.Contains("'src/Nope.tsx' does not exist", Content(results[0]));
        Assert.StartsWith("Error:", Content(results[1]));
        Assert.Contains("path", Content(results[1]));
        Assert.Equal(2, events.OfType<AgentToolCompleted>().Count(c => !c.Succeeded));
        Assert.IsType<AgentTurnCompleted>(events[^1]);
    }

    [Fact]
    public async Task The_sessions_model_overrides_the_configured_one()
    {
        _server.Then(Text("Hi."));

        await _kit.RunAsync(_kit.OpenAI(BaseUrl), _kit.Turn("hello", model: "llama3.2"));

        Assert.Equal("llama3.2", Assert.Single(_server.Requests).Body.GetProperty("model").GetString());
    }

    [Fact]
    public async Task A_model_that_never_stops_calling_tools_is_stopped_after_the_configured_rounds()
    {
        _kit.Sandbox.Seed("src/App.tsx", App);
        _kit.Options.MaxToolRounds = 2;
        _server
            .Then(ToolCalls(null, new ToolCall("call_1", "list_files", new { })))
            .Then(ToolCalls(null, new ToolCall("call_2", "list_files", new { })));

        var events = await _kit.RunAsync(_kit.OpenAI(BaseUrl), _kit.Turn("loop"));

        var failed = Assert.IsType<AgentFailed>(events[^1]);
        Assert.Contains("MaxToolRounds", failed.Message);
        Assert.Equal(2, _server.Requests.Count);
        Assert.Equal(2, events.OfType<AgentToolCompleted>().Count(c => c.Succeeded));
    }

    [Theory]
    [InlineData(null, "qwen", "LivePreview__Agents__OpenAI__BaseUrl")]
    [InlineData("http://localhost:11434/v1", null, "LivePreview__Agents__OpenAI__Model")]
    [InlineData("localhost:11434", "qwen", "not an http(s) URL")]
    public void Without_a_server_or_a_model_it_says_what_to_set(string? baseUrl, string? model, string expected)
    {
        var availability = _kit.OpenAI(baseUrl, model).CheckAvailability(null);

        Assert.False(availability.Available);
        Assert.Contains(expected, availability.Problem);
    }

    private static string Content(JsonElement message)
    {
        var content = message.GetProperty("content");
        return content.ValueKind == JsonValueKind.String
            ? content.GetString()!
            : string.Concat(content.EnumerateArray().Select(c => c.GetProperty("text").GetString()));
    }
}
