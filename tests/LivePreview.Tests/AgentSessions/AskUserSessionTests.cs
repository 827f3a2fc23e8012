using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Agents;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.AgentSessions;

/// <summary>
/// <c>ask_user</c> of the chat adapter in a real session: the question is the sandbox's QUESTION (listed by the API, the
/// session waiting_for_answer), the API's answer is the tool result the model gets next; an interrupt while it waits
/// leaves the session interrupted, ready to resume.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class AskUserSessionTests : IAsyncLifetime
{
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
    public async Task The_model_asks_the_session_waits_the_API_answer_reaches_the_model_and_an_interrupt_while_it_waits_ends_the_turn()
    {
        var sandboxId = (await _host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        await _host.WaitForPreviewAsync(sandboxId);
        _model
            .Then(AnthropicWire.ToolUses("One question first.", new AnthropicWire.ToolUse("toolu_q1", "ask_user", new { question = "Which greeting?", choices = new[] { "Hello", "Welcome" } })))
            .Then(AnthropicWire.Text("Used the greeting Welcome."));

        using (var started = await _host.Http.PostAsJsonAsync(Route(sandboxId, "session"), new { agent = "anthropic", instruction = "greet the user" }))
        {
            Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        }
        var waiting = await PollSessionAsync(sandboxId, "waiting_for_answer");
        var question = await PendingQuestionAsync(sandboxId);
        Assert.Equal("Which greeting?", question.GetProperty("question").GetString());
        Assert.Equal(["Hello", "Welcome"], question.GetProperty("choices").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(waiting.GetProperty("id").GetString(), question.GetProperty("session_id").GetString());
        Assert.Single(_model.Requests);

        using (var answered = await _host.Http.PostAsJsonAsync(Route(sandboxId, "answer"), new { question_id = question.GetProperty("id").GetString(), answer = "Welcome" }))
        {
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        }
        var completed = await PollSessionAsync(sandboxId, "completed");
        Assert.Contains("Used the greeting Welcome.", completed.GetProperty("turns")[0].GetProperty("summary").GetString());
        var result = _model.Requests[1].Body.GetProperty("messages").EnumerateArray().Last().GetRawText();
        Assert.Contains("toolu_q1", result);
        Assert.Contains("Welcome", result);

        _model.Then(AnthropicWire.ToolUses(null, new AnthropicWire.ToolUse("toolu_q2", "ask_user", new { question = "Shall I also change the colours?" })));
        using (var resumed = await _host.Http.PostAsJsonAsync(Route(sandboxId, "resume"), new { instruction = "now the colours" }))
        {
            Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        }
        await PollSessionAsync(sandboxId, "waiting_for_answer");
        using (var interrupted = await _host.Http.PostAsync(Route(sandboxId, "interrupt"), null))
        {
            Assert.Equal(HttpStatusCode.OK, interrupted.StatusCode);
            var view = await interrupted.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("interrupted", view.GetProperty("status").GetString());
            Assert.Equal("interrupted", view.GetProperty("turns")[1].GetProperty("status").GetString());
            Assert.True(view.GetProperty("can_resume").GetBoolean());
        }
        Assert.Equal(3, _model.Requests.Count);
        await _host.Http.DeleteAsync($"api/v1/sandboxes/{sandboxId}");
    }

    private async Task<JsonElement> PendingQuestionAsync(string sandboxId)
    {
        var questions = await _host.Http.GetFromJsonAsync<JsonElement>(Route(sandboxId, "questions"));
        return Assert.Single(questions.EnumerateArray(), q => q.GetProperty("status").GetString() == "pending");
    }

    private async Task<JsonElement> PollSessionAsync(string sandboxId, string status)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var view = await _host.Http.GetFromJsonAsync<JsonElement>(Route(sandboxId, "session"));
            if (view.GetProperty("status").GetString() == status || DateTime.UtcNow > deadline)
            {
                Assert.Equal(status, view.GetProperty("status").GetString());
                return view;
            }
            await Task.Delay(50);
        }
    }

    private static string Route(string sandboxId, string action) => $"api/v1/sandbox/{sandboxId}/{action}";
}
