using System.Text.Json;
using LivePreview.Agents;
using LivePreview.Agents.Cli;

namespace LivePreview.Tests.Agents;

/// <summary>
/// The chat adapter's <c>ask_user</c> tool over both wire formats: the question goes to the turn's
/// <see cref="IAgentQuestions"/>, the turn waits for the person, and the answer is the tool's result in the
/// next request. Interrupting while it waits ends the turn as an interruption, not a failure.
/// </summary>
public sealed class AskUserToolTests : IAsyncLifetime
{
    private readonly AgentKit _kit = new();
    private FakeModelServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeModelServer.StartAsync(_kit.Timeline);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task An_Anthropic_model_asks_with_choices_waits_for_the_answer_and_gets_it_as_the_tool_result()
    {
        var questions = new HeldQuestions(_kit.Timeline);
        _server
            .Then(AnthropicWire.ToolUses("Which colour?", new AnthropicWire.ToolUse("toolu_q", "ask_user", new { question = "Which colour for the header?", choices = new[] { "Blue", "Green" } })))
            .Then(AnthropicWire.Text("Made the header green."));

        var run = _kit.RunAsync(_kit.Anthropic(_server.BaseUrl), Turn("style the header", questions));
        var asked = await questions.NextAsync();
        Assert.Equal((AgentKit.SandboxId, "as_session", "anthropic", "Which colour for the header?", false),
            (asked.SandboxId, asked.SessionId, asked.Agent, asked.Question, asked.IsPermission));
        Assert.Equal(["Blue", "Green"], asked.Choices);
        Assert.Single(_server.Requests);
        questions.Answer("Green");
        var events = await run;

        Assert.Equal("The user answered: Green", events.OfType<AgentToolCompleted>().Single().Summary);
        Assert.IsType<AgentTurnCompleted>(events[^1]);
        var last = _server.Requests[1].Body.GetProperty("messages").EnumerateArray().Last();
        var result = last.GetProperty("content").EnumerateArray().Single(b => b.GetProperty("type").GetString() == "tool_result");
        Assert.Equal("toolu_q", result.GetProperty("tool_use_id").GetString());
        Assert.Contains("Green", result.GetProperty("content").GetRawText());
        Assert.Contains("ask_user", _server.Requests[0].Body.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task An_OpenAI_model_asks_in_free_text_and_a_call_after_the_question_runs_only_once_it_is_answered()
    {
        var questions = new HeldQuestions(_kit.Timeline);
        _server
            .Then(OpenAIWire.ToolCalls(null,
                new OpenAIWire.ToolCall("call_q", "ask_user", new { question = "What should the page be called?" }),
                new OpenAIWire.ToolCall("call_w", "write_file", new { path = "src/title.txt", content = "title\n" })))
            .Then(OpenAIWire.Text("Named it."));

        var run = _kit.RunAsync(_kit.OpenAI(_server.BaseUrl + "/v1"), Turn("name the page", questions));
        var asked = await questions.NextAsync();
        Assert.Empty(asked.Choices);
        Assert.Equal("openai", asked.Agent);
        Assert.Null(_kit.Sandbox.Text("src/title.txt"));
        questions.Answer("Northwind Orders");
        await run;

        Assert.True(_kit.Timeline.IndexOf("answered") < _kit.Timeline.IndexOf("write src/title.txt"));
        var messages = _server.Requests[1].Body.GetProperty("messages").EnumerateArray().ToList();
        var answer = messages.Single(m => m.GetProperty("role").GetString() == "tool" && m.GetProperty("tool_call_id").GetString() == "call_q");
        Assert.Contains("Northwind Orders", answer.GetProperty("content").GetRawText());
    }

    [Fact]
    public async Task Interrupting_while_the_question_waits_ends_the_turn_as_cancelled_without_a_failure_or_another_request()
    {
        var questions = new HeldQuestions(_kit.Timeline);
        _server.Then(AnthropicWire.ToolUses(null, new AnthropicWire.ToolUse("toolu_q", "ask_user", new { question = "Proceed?" })));
        using var interrupt = new CancellationTokenSource();
        var events = new List<AgentEvent>();

        var run = Task.Run(async () =>
        {
            await foreach (var e in _kit.Anthropic(_server.BaseUrl).RunTurnAsync(Turn("go", questions), interrupt.Token))
            {
                events.Add(e);
            }
        });
        await questions.NextAsync();
        await interrupt.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.DoesNotContain(events, e => e is AgentFailed or AgentTurnCompleted);
        Assert.True(questions.SawCancellation);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task A_turn_without_questions_offers_no_ask_user_tool_and_an_empty_question_goes_back_as_an_error()
    {
        _server.Then(AnthropicWire.Text("ok"));
        await _kit.RunAsync(_kit.Anthropic(_server.BaseUrl), _kit.Turn("hello"));
        Assert.DoesNotContain("ask_user", _server.Requests[0].Body.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("name").GetString()));

        var questions = new HeldQuestions(_kit.Timeline);
        _server.Then(AnthropicWire.ToolUses(null, new AnthropicWire.ToolUse("toolu_e", "ask_user", new { question = "  " })))
            .Then(AnthropicWire.Text("fine"));
        var events = await _kit.RunAsync(_kit.Anthropic(_server.BaseUrl), Turn("go", questions));
        Assert.False(events.OfType<AgentToolCompleted>().Single().Succeeded);
        Assert.Contains("question is required", _server.Requests[^1].Body.GetProperty("messages").EnumerateArray().Last().GetRawText());
        Assert.Equal(0, questions.Count);
    }

    private AgentTurn Turn(string prompt, IAgentQuestions questions) => _kit.Turn(prompt) with { SessionId = "as_session", Questions = questions };

    /// <summary>Holds each question until the test answers it, the way a person at the page would.</summary>
    private sealed class HeldQuestions(Timeline timeline) : IAgentQuestions
    {
        private readonly System.Threading.Channels.Channel<AgentQuestion> _asked = System.Threading.Channels.Channel.CreateUnbounded<AgentQuestion>();
        private TaskCompletionSource<string> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _count;

        public int Count => _count;

        public bool SawCancellation { get; private set; }

        public async Task<string> AskAsync(AgentQuestion question, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _count);
            timeline.Add("asked");
            _asked.Writer.TryWrite(question);
            try
            {
                var answer = await _answer.Task.WaitAsync(cancellationToken);
                timeline.Add("answered");
                return answer;
            }
            catch (OperationCanceledException)
            {
                SawCancellation = true;
                throw;
            }
        }

        public async Task<AgentQuestion> NextAsync() => await _asked.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        public void Answer(string answer)
        {
            var current = _answer;
            _answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            current.SetResult(answer);
        }
    }
}
