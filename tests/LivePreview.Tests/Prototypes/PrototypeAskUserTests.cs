using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bunit;
using LivePreview.Events;
using LivePreview.Tests.Agents;
using LivePreview.Tests.RateLimits;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Prototypes;

/// <summary>
/// <c>ask_user</c> of the chat adapter in a prototype prompt: the question is the sandbox's QUESTION under the
/// prototype session's id, the API's answer is the tool result the model gets next, and the prompt goes on to its
/// checkpoint; an interrupt while the agent waits ends the prompt interrupted.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class PrototypeAskUserTests : IAsyncLifetime
{
    private const string Heading = "export default function App() {\n  return <main><h1 data-testid=\"greeting\">Welcome</h1></main>\n}\n";

    private readonly Timeline _timeline = new();
    private FakeModelServer _model = null!;
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync()
    {
        _model = await FakeModelServer.StartAsync(_timeline);
        _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>(_model.AnthropicSettings));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _model.DisposeAsync();
    }

    [Fact]
    public async Task A_prototype_prompt_asks_the_API_answer_reaches_the_model_the_prompt_checkpoints_and_an_interrupt_while_it_waits_ends_it()
    {
        using var started = await _host.Http.PostAsJsonAsync("api/v1/prototype/session", new { framework = "react-vite", agent = "anthropic" });
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        var session = await started.Content.ReadFromJsonAsync<JsonElement>();
        var id = session.GetProperty("id").GetString()!;
        var sandboxId = session.GetProperty("sandbox_id").GetString()!;
        await _host.WaitForPreviewAsync(sandboxId);
        _model
            .Then(AnthropicWire.ToolUses("One question first.", new AnthropicWire.ToolUse("toolu_q1", "ask_user", new { question = "Which greeting?", choices = new[] { "Hello", "Welcome" } })))
            .Then(AnthropicWire.ToolUses(null, new AnthropicWire.ToolUse("toolu_w1", "write_file", new { path = "src/App.tsx", content = Heading })))
            .Then(AnthropicWire.Text("Used the greeting Welcome."));

        var ended = WaitForEndAsync(sandboxId);
        Assert.Equal(HttpStatusCode.Accepted, (await _host.Http.PostAsJsonAsync($"api/v1/prototype/session/{id}/prompt", new { prompt = "greet the user" })).StatusCode);
        var question = await PendingQuestionAsync(sandboxId);
        Assert.Equal("Which greeting?", question.GetProperty("question").GetString());
        Assert.Equal(["Hello", "Welcome"], question.GetProperty("choices").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(id, question.GetProperty("session_id").GetString());
        Assert.Single(_model.Requests);
        Assert.Equal("working", (await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/prototype/session/{id}")).GetProperty("status").GetString());

        using (var answered = await _host.Http.PostAsJsonAsync($"api/v1/sandbox/{sandboxId}/answer", new { question_id = question.GetProperty("id").GetString(), answer = "Welcome" }))
        {
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        }
        var completed = await ended;
        Assert.Equal(EventTypes.PromptCompleted, completed.Type);
        var checkpoint = completed.Payload!.Value.GetProperty("checkpoint_id").GetString();
        Assert.False(string.IsNullOrEmpty(checkpoint));
        var result = _model.Requests[1].Body.GetProperty("messages").EnumerateArray().Last().GetRawText();
        Assert.Contains("toolu_q1", result);
        Assert.Contains("Welcome", result);
        var checkpoints = await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/prototype/session/{id}/checkpoints");
        Assert.Contains(checkpoints.EnumerateArray(), c => c.GetProperty("id").GetString() == checkpoint);
        Assert.Contains("Welcome", await _host.Http.GetStringAsync($"api/v1/prototype/session/{id}/files/src/App.tsx"));

        _model.Then(AnthropicWire.ToolUses(null, new AnthropicWire.ToolUse("toolu_q2", "ask_user", new { question = "Shall I also change the colours?" })));
        var interruptedEnd = WaitForEndAsync(sandboxId);
        Assert.Equal(HttpStatusCode.Accepted, (await _host.Http.PostAsJsonAsync($"api/v1/prototype/session/{id}/prompt", new { prompt = "now the colours" })).StatusCode);
        await PendingQuestionAsync(sandboxId, "Shall I also change the colours?");
        using (var interrupted = await _host.Http.PostAsync($"api/v1/prototype/session/{id}/interrupt", null))
        {
            Assert.True(interrupted.IsSuccessStatusCode, $"interrupt answered {(int)interrupted.StatusCode}");
        }
        var failed = await interruptedEnd;
        Assert.Equal(EventTypes.PromptFailed, failed.Type);
        Assert.Equal("Interrupted.", failed.Payload!.Value.GetProperty("error").GetString());
        Assert.Equal(4, _model.Requests.Count);
        await _host.Http.DeleteAsync($"api/v1/prototype/session/{id}");
    }

    [Fact]
    public async Task The_prototype_page_shows_the_question_as_it_is_asked_the_turn_waits_and_a_chosen_answer_reaches_the_model()
    {
        using var frank = await RateLimitTesting.ClientForAsync(_host, "frank");
        using var started = await frank.PostAsJsonAsync("api/v1/prototype/session", new { framework = "react-vite", agent = "anthropic" });
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        var session = await started.Content.ReadFromJsonAsync<JsonElement>();
        var id = session.GetProperty("id").GetString()!;
        var sandboxId = session.GetProperty("sandbox_id").GetString()!;
        await _host.WaitForPreviewAsync(sandboxId);
        _model
            .Then(AnthropicWire.ToolUses(null, new AnthropicWire.ToolUse("toolu_p1", "ask_user", new { question = "Which colour?", choices = new[] { "Blue", "Green" } })))
            .Then(AnthropicWire.Text("Kept it green."));
        await using var ui = DashboardRateLimitTests.NewUi(_host, "frank");
        ui.JSInterop.Mode = JSRuntimeMode.Loose;
        var page = ui.Render<LivePreview.Ui.Prototype.PrototypePage>(p => p.Add(x => x.SessionId, id));
        page.WaitForAssertion(() => page.Find("[data-testid=prototype-prompt]"));
        Assert.Empty(page.FindAll("[data-testid=question-prompt]"));

        Assert.Equal(HttpStatusCode.Accepted, (await frank.PostAsJsonAsync($"api/v1/prototype/session/{id}/prompt", new { prompt = "pick a colour" })).StatusCode);
        // Shown live, from the sandbox's QUESTION event: the page was loaded before the agent asked.
        page.WaitForAssertion(() => Assert.Equal("Which colour?", page.Find("[data-testid=question-text]").TextContent), TimeSpan.FromSeconds(60));
        Assert.Equal(["Blue", "Green"], page.FindAll("[data-testid=question-choice]").Select(b => b.TextContent));
        page.WaitForAssertion(() => Assert.Equal("true", page.Find("[data-testid=prototype-working]").GetAttribute("data-waiting")));
        Assert.Contains("Waiting for your answer", page.Find("[data-testid=prototype-status]").TextContent);

        page.FindAll("[data-testid=question-choice]").Single(b => b.TextContent == "Green").Click();
        page.WaitForAssertion(() => page.Find("[data-testid=prototype-turn-done]"), TimeSpan.FromSeconds(60));
        Assert.Empty(page.FindAll("[data-testid=question-prompt]"));
        var result = _model.Requests[1].Body.GetProperty("messages").EnumerateArray().Last().GetRawText();
        Assert.Contains("toolu_p1", result);
        Assert.Contains("Green", result);
        var question = Assert.Single((await frank.GetFromJsonAsync<JsonElement>($"api/v1/sandbox/{sandboxId}/questions")).EnumerateArray());
        Assert.Equal(("answered", "frank", id), (question.GetProperty("status").GetString(), question.GetProperty("answered_by").GetString(), question.GetProperty("session_id").GetString()));
        await frank.DeleteAsync($"api/v1/prototype/session/{id}");
    }

    /// <summary>The sandbox's pending question (with that text, when given), polled for as the agent gets to it.</summary>
    private async Task<JsonElement> PendingQuestionAsync(string sandboxId, string? text = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var questions = await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/sandbox/{sandboxId}/questions");
            var pending = questions.EnumerateArray()
                .Where(q => q.GetProperty("status").GetString() == "pending" && (text is null || q.GetProperty("question").GetString() == text)).ToList();
            if (pending.Count > 0 || DateTime.UtcNow > deadline)
            {
                return Assert.Single(pending);
            }
            await Task.Delay(50);
        }
    }

    private Task<LivePreviewEvent> WaitForEndAsync(string sandboxId)
    {
        var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var types = new HashSet<string> { EventTypes.PromptCompleted, EventTypes.PromptFailed };
        var stream = _host.Service<IEventBus>().SubscribeAsync(new EventFilter(sandboxId, types), cts.Token).GetAsyncEnumerator(cts.Token);
        var next = stream.MoveNextAsync();
        return Task.Run(async () =>
        {
            Assert.True(await next);
            return stream.Current;
        });
    }
}
