using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.AgentSessions;
using LivePreview.Events;
using LivePreview.Tests.Agents;
using LivePreview.Tests.Auth;
using LivePreview.Tests.Hosting;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.AgentSessions;

/// <summary>
/// Agent sessions on a real sandbox in the real service, the Anthropic chat adapter talking to
/// <see cref="FakeModelServer"/> (the Messages API's streaming wire format): start, events, the 409s,
/// interrupt mid-turn (the model request is aborted), resume with the history, ownership, sandbox
/// deletion, and a service restart with the same data directory.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class AgentSessionTests : IAsyncLifetime
{
    private readonly Timeline _timeline = new();
    private FakeModelServer _model = null!;
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync()
    {
        _model = await FakeModelServer.StartAsync(_timeline);
        _host = await StartHostAsync(null);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _model.DisposeAsync();
    }

    [Fact]
    public async Task A_session_streams_its_events_refuses_what_does_not_fit_is_interrupted_mid_turn_and_resumes_with_its_history()
    {
        var sandboxId = await RunningSandboxAsync();
        await using var events = new EventRecorder(_host, sandboxId);
        var release = new TaskCompletionSource();
        _model.Then(async context =>
            {
                await release.Task.WaitAsync(context.RequestAborted);
                await AnthropicWire.ToolUses("I'll write the file.", new AnthropicWire.ToolUse("toolu_1", "write_file", new { path = "src/session.txt", content = "from the session\n" }))(context);
            })
            .Then(AnthropicWire.Text("Wrote src/session.txt."));

        var bad = await ApiValidationTests.ProblemAsync(await _host.Http.PostAsJsonAsync(Route(sandboxId, "session"), new { agent = "nope", instruction = "x" }), 400);
        Assert.Contains("There is no agent 'nope'", bad.GetProperty("detail").GetString());
        var unconfigured = await ApiValidationTests.ProblemAsync(await _host.Http.PostAsJsonAsync(Route(sandboxId, "session"), new { agent = "openai", instruction = "x" }), 400);
        Assert.Contains("LivePreview__Agents__OpenAI", unconfigured.GetProperty("detail").GetString());
        await ApiValidationTests.ProblemAsync(await _host.Http.PostAsJsonAsync(Route(sandboxId, "session"), new { agent = "anthropic" }), 400);
        await ApiValidationTests.ProblemAsync(await _host.Http.GetAsync(Route(sandboxId, "session")), 404);

        // Four starts at once: one session wins, the others are told which one runs.
        var starts = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            _host.Http.PostAsJsonAsync(Route(sandboxId, "session"), new { agent = "anthropic", instruction = "write a file" })));
        var started = Assert.Single(starts, r => r.StatusCode == HttpStatusCode.Created);
        var session = await started.Content.ReadFromJsonAsync<JsonElement>();
        foreach (var lost in starts.Where(r => r != started))
        {
            var problem = await ApiValidationTests.ProblemAsync(lost, 409);
            Assert.Contains($"'{session.GetProperty("id").GetString()}' (running)", problem.GetProperty("detail").GetString());
        }
        var sessionId = session.GetProperty("id").GetString()!;
        Assert.StartsWith("as_", sessionId);
        Assert.Equal(sandboxId, session.GetProperty("sandbox_id").GetString());
        Assert.Equal("running", session.GetProperty("status").GetString());
        Assert.Equal("running", session.GetProperty("turns")[0].GetProperty("status").GetString());

        // The model holds its answer: the session is certainly running when the second start comes.
        await _timeline.WaitForAsync("request 1", TimeSpan.FromSeconds(60));
        var busy = await ApiValidationTests.ProblemAsync(await _host.Http.PostAsJsonAsync(Route(sandboxId, "session"), new { agent = "anthropic", instruction = "again" }), 409);
        Assert.Contains($"'{sessionId}' (running)", busy.GetProperty("detail").GetString());
        var resumeRunning = await ApiValidationTests.ProblemAsync(await _host.Http.PostAsJsonAsync(Route(sandboxId, "resume"), new { instruction = "x" }), 409);
        Assert.Contains("is running", resumeRunning.GetProperty("detail").GetString());

        release.SetResult();
        var completed = await events.WaitForAsync(EventTypes.SessionCompleted);
        Assert.Equal("from the session\n", await _host.Http.GetStringAsync($"api/v1/sandboxes/{sandboxId}/files/src/session.txt"));
        var types = events.Types(sessionId);
        Assert.Equal(EventTypes.SessionStarted, types[0]);
        Assert.True(types.IndexOf(EventTypes.AgentText) < types.IndexOf(EventTypes.AgentToolCalled), string.Join(", ", types));
        Assert.True(types.IndexOf(EventTypes.AgentToolCalled) < types.IndexOf(EventTypes.AgentToolCompleted), string.Join(", ", types));
        Assert.Equal(EventTypes.SessionCompleted, types[^1]);
        Assert.Contains(events.All, e => e.Type == EventTypes.FileChanged && e.EntityId == "src/session.txt");
        Assert.All(events.All.Where(e => e.EntityId == sessionId), e => Assert.Equal("session", e.EntityType));
        Assert.True(Details(completed).GetProperty("output_tokens").GetInt64() > 0, Details(completed).GetRawText());

        var view = await _host.Http.GetFromJsonAsync<JsonElement>(Route(sandboxId, "session"));
        Assert.Equal("completed", view.GetProperty("status").GetString());
        Assert.False(view.GetProperty("can_interrupt").GetBoolean());
        Assert.Contains("Wrote src/session.txt.", view.GetProperty("turns")[0].GetProperty("summary").GetString());
        var idle = await ApiValidationTests.ProblemAsync(await _host.Http.PostAsync(Route(sandboxId, "interrupt"), null), 409);
        Assert.Contains("is completed; nothing runs to interrupt", idle.GetProperty("detail").GetString());
        var nothing = await ApiValidationTests.ProblemAsync(await _host.Http.PostAsJsonAsync(Route(sandboxId, "resume"), new { }), 409);
        Assert.Contains("nothing to resume", nothing.GetProperty("detail").GetString());

        // Resume with a new instruction; the model starts answering (a burst long enough to be published) and then hangs.
        var partial = "Thinking about the footer. " + new string('.', 420);
        _model.Then(async context =>
        {
            ServerSentEvents.Start(context);
            await ServerSentEvents.WriteAsync(context, "message_start", ServerSentEvents.Json(new
            {
                type = "message_start",
                message = new { id = "msg_hold", type = "message", role = "assistant", model = "claude-test", content = Array.Empty<object>(), usage = new { input_tokens = 10, output_tokens = 1 } },
            }));
            await ServerSentEvents.WriteAsync(context, "content_block_start", ServerSentEvents.Json(new { type = "content_block_start", index = 0, content_block = new { type = "text", text = "" } }));
            await ServerSentEvents.WriteAsync(context, "content_block_delta", ServerSentEvents.Json(new { type = "content_block_delta", index = 0, delta = new { type = "text_delta", text = partial } }));
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        });
        using (var resumed = await _host.Http.PostAsJsonAsync(Route(sandboxId, "resume"), new { instruction = "add a footer" }))
        {
            Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
            Assert.Equal("running", (await resumed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        }
        await events.WaitForAsync(EventTypes.Resumed);
        await _timeline.WaitForAsync("request 3", TimeSpan.FromSeconds(60));
        await events.WaitForAsync(EventTypes.AgentText, e => Details(e).TryGetProperty("text", out var t) && t.GetString()!.StartsWith("Thinking about the footer", StringComparison.Ordinal));

        using (var interrupt = await _host.Http.PostAsync(Route(sandboxId, "interrupt"), null))
        {
            Assert.Equal(HttpStatusCode.OK, interrupt.StatusCode);
            var interrupted = await interrupt.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("interrupted", interrupted.GetProperty("status").GetString());
            Assert.True(interrupted.GetProperty("can_resume").GetBoolean());
            Assert.Equal(["completed", "interrupted"], interrupted.GetProperty("turns").EnumerateArray().Select(t => t.GetProperty("status").GetString()));
        }
        var interruptedEvent = await events.WaitForAsync(EventTypes.Interrupted);
        Assert.Equal("Interrupted by the user.", Details(interruptedEvent).GetProperty("reason").GetString());
        await _timeline.WaitForAsync("request 3 aborted", TimeSpan.FromSeconds(30));
        var again = await ApiValidationTests.ProblemAsync(await _host.Http.PostAsync(Route(sandboxId, "interrupt"), null), 409);
        Assert.Contains("is interrupted", again.GetProperty("detail").GetString());

        _model.Then(AnthropicWire.Text("Added the footer."));
        var resumedCompleted = events.WaitForAsync(EventTypes.SessionCompleted, e => e.Sequence > completed.Sequence);
        using (var resumed = await _host.Http.PostAsJsonAsync(Route(sandboxId, "resume"), new { instruction = "finish the footer" }))
        {
            Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        }
        await resumedCompleted;
        var messages = _model.Requests[3].Body.GetProperty("messages").GetRawText();
        var order = new[] { "write a file", "Wrote src/session.txt.", "add a footer", "Thinking about the footer", "(I was interrupted here.)", "finish the footer" }
            .Select(text => messages.IndexOf(text, StringComparison.Ordinal)).ToList();
        Assert.True(order.All(i => i >= 0) && order.SequenceEqual(order.Order()), $"History out of order or missing ({string.Join(", ", order)}): {messages}");
        Assert.Contains("finish the footer", _model.Requests[3].Body.GetProperty("messages").EnumerateArray().Last().GetRawText());
        var final = await _host.Http.GetFromJsonAsync<JsonElement>(Route(sandboxId, "session"));
        Assert.Equal("completed", final.GetProperty("status").GetString());
        Assert.Equal(sessionId, final.GetProperty("id").GetString());
        Assert.Equal(["completed", "interrupted", "completed"], final.GetProperty("turns").EnumerateArray().Select(t => t.GetProperty("status").GetString()));

        // Someone else: every route is the unknown-sandbox 404, and nothing of the session in it.
        using var bob = AuthClients.WithKey(_host, await KeyForAsync("bob"));
        foreach (var response in new[]
        {
            await bob.GetAsync(Route(sandboxId, "session")),
            await bob.PostAsJsonAsync(Route(sandboxId, "session"), new { agent = "anthropic", instruction = "mine now" }),
            await bob.PostAsync(Route(sandboxId, "interrupt"), null),
            await bob.PostAsJsonAsync(Route(sandboxId, "resume"), new { instruction = "mine now" }),
        })
        {
            var problem = await ApiValidationTests.ProblemAsync(response, 404);
            Assert.Equal("Sandbox not found", problem.GetProperty("title").GetString());
            Assert.DoesNotContain(sessionId, problem.GetRawText());
        }
        Assert.Equal(4, _model.Requests.Count);

        // Deleting the sandbox while a turn runs: the turn is cancelled and the session failed, saying why.
        _model.Then(async context => await Task.Delay(Timeout.Infinite, context.RequestAborted));
        using (var resumed = await _host.Http.PostAsJsonAsync(Route(sandboxId, "resume"), new { instruction = "one more thing" }))
        {
            Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        }
        await _timeline.WaitForAsync("request 5", TimeSpan.FromSeconds(60));
        var failed = events.WaitForAsync(EventTypes.SessionFailed);
        Assert.Equal(HttpStatusCode.NoContent, (await _host.Http.DeleteAsync($"api/v1/sandboxes/{sandboxId}")).StatusCode);
        Assert.Equal("The sandbox was deleted.", Details(await failed).GetProperty("error").GetString());
        await _timeline.WaitForAsync("request 5 aborted", TimeSpan.FromSeconds(30));
        await ApiValidationTests.ProblemAsync(await _host.Http.GetAsync(Route(sandboxId, "session")), 404);
    }

    [Fact]
    public async Task A_session_running_when_the_service_stops_is_interrupted_after_the_restart_and_resumes()
    {
        var sandboxId = await RunningSandboxAsync();
        _model.Then(async context => await Task.Delay(Timeout.Infinite, context.RequestAborted));
        using (var started = await _host.Http.PostAsJsonAsync(Route(sandboxId, "session"), new { agent = "anthropic", instruction = "build a gallery" }))
        {
            Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        }
        await _timeline.WaitForAsync("request 1", TimeSpan.FromSeconds(60));

        // The questions flow: while a question of the sandbox waits (asked as MCP ask_user does, naming no
        // session), the session is waiting_for_answer; the answer through the API puts it back to running.
        var manager = _host.Service<AgentSessionManager>();
        var sessionId = (await _host.Http.GetFromJsonAsync<JsonElement>(Route(sandboxId, "session"))).GetProperty("id").GetString()!;
        var asking = _host.Service<LivePreview.Questions.QuestionService>().AskAsync(sandboxId, null, "Which colour?", ["red", "blue"], CancellationToken.None);
        var waiting = await PollSessionAsync(sandboxId, "waiting_for_answer");
        Assert.Equal("waiting_for_answer", waiting.GetProperty("status").GetString());
        Assert.True(waiting.GetProperty("can_interrupt").GetBoolean());
        var resumeWaiting = await ApiValidationTests.ProblemAsync(await _host.Http.PostAsJsonAsync(Route(sandboxId, "resume"), new { instruction = "x" }), 409);
        Assert.Contains("waiting_for_answer", resumeWaiting.GetProperty("detail").GetString());
        using (var answered = await _host.Http.PostAsJsonAsync(Route(sandboxId, "answer"), new { answer = "blue" }))
        {
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        }
        Assert.Equal("blue", (await asking.WaitAsync(TimeSpan.FromSeconds(30))).Answer);
        await PollSessionAsync(sandboxId, "running");
        await manager.MarkWaitingAsync(sessionId, true, CancellationToken.None);

        var dataDirectory = _host.DataDirectory;
        await _host.App.StopAsync();
        await _host.App.DisposeAsync();
        await _timeline.WaitForAsync("request 1 aborted", TimeSpan.FromSeconds(30));
        // A clean stop records the interruption itself…
        Assert.Equal("interrupted", await LivePreviewHost.ScalarAsync(dataDirectory, """SELECT "Status" FROM agent_sessions"""));
        // …and a crash would not have: put the rows back the way a killed process leaves them.
        await LivePreviewHost.ScalarAsync(dataDirectory,
            """UPDATE agent_sessions SET "Status" = 'running', "Error" = NULL; UPDATE agent_session_turns SET "Status" = 'Running', "Error" = NULL, "EndedAt" = NULL""");

        _host = await StartHostAsync(dataDirectory);
        var view = await _host.Http.GetFromJsonAsync<JsonElement>(Route(sandboxId, "session"));
        Assert.Equal("interrupted", view.GetProperty("status").GetString());
        Assert.Contains("restarted", view.GetProperty("error").GetString());
        Assert.Equal("interrupted", view.GetProperty("turns")[0].GetProperty("status").GetString());
        Assert.True(view.GetProperty("can_resume").GetBoolean());
        await Assert.ThrowsAsync<AgentSessionConflictException>(() => _host.Service<AgentSessionManager>().MarkWaitingAsync(sessionId, false, CancellationToken.None));

        await _host.WaitForPreviewAsync(sandboxId);
        await using var events = new EventRecorder(_host, sandboxId);
        _model.Then(AnthropicWire.Text("The gallery is there."));
        using (var resumed = await _host.Http.PostAsJsonAsync(Route(sandboxId, "resume"), new { }))
        {
            Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        }
        await events.WaitForAsync(EventTypes.SessionCompleted);
        var last = _model.Requests[^1].Body.GetProperty("messages").EnumerateArray().Last().GetRawText();
        Assert.Contains("build a gallery", last);
        var final = await _host.Http.GetFromJsonAsync<JsonElement>(Route(sandboxId, "session"));
        Assert.Equal(["interrupted", "completed"], final.GetProperty("turns").EnumerateArray().Select(t => t.GetProperty("status").GetString()));
        await _host.Http.DeleteAsync($"api/v1/sandboxes/{sandboxId}");
    }

    /// <summary>The session's view once it has <paramref name="status"/> (the question observer switches it as the question is stored and answered).</summary>
    private async Task<JsonElement> PollSessionAsync(string sandboxId, string status)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
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

    private Task<LivePreviewHost> StartHostAsync(string? dataDirectory) => LivePreviewHost.StartAsync(new Dictionary<string, string?>(_model.AnthropicSettings), dataDirectory);

    private async Task<string> RunningSandboxAsync()
    {
        var sandboxId = (await _host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        await _host.WaitForPreviewAsync(sandboxId);
        return sandboxId;
    }

    private async Task<string> KeyForAsync(string user)
    {
        using var response = await _host.Http.PostAsJsonAsync("api/v1/keys", new { user, name = "sessions" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
    }

    private static string Route(string sandboxId, string action) => $"api/v1/sandbox/{sandboxId}/{action}";

    private static JsonElement Details(LivePreviewEvent e) => ((JsonElement)e.Payload!).GetProperty("details");

    /// <summary>Every event of one sandbox from now on, in order, read by the real bus.</summary>
    private sealed class EventRecorder : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentQueue<LivePreviewEvent> _events = new();
        private readonly Task _reading;

        public EventRecorder(LivePreviewHost host, string sandboxId)
        {
            var stream = host.Service<IEventBus>().SubscribeAsync(new EventFilter(sandboxId), _stop.Token);
            _reading = Task.Run(async () =>
            {
                try
                {
                    await foreach (var e in stream)
                    {
                        _events.Enqueue(e);
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
        }

        public IReadOnlyList<LivePreviewEvent> All => [.. _events];

        public List<string> Types(string entityId) => [.. All.Where(e => e.EntityId == entityId).Select(e => e.Type)];

        public async Task<LivePreviewEvent> WaitForAsync(string type, Func<LivePreviewEvent, bool>? where = null)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (true)
            {
                if (All.FirstOrDefault(e => e.Type == type && (where is null || where(e))) is { } found)
                {
                    return found;
                }
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"No {type} event; saw {string.Join(", ", All.Select(e => e.Type))}");
                }
                await Task.Delay(20);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _reading;
            _stop.Dispose();
        }
    }
}
