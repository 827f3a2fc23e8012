using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Events;
using LivePreview.Gateway;
using LivePreview.Questions;
using LivePreview.Tests.Support;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace LivePreview.Tests.Gateway;

/// <summary>
/// <c>ask_user</c> through the official MCP client (Streamable HTTP on the gateway's socket), answered through
/// <c>POST /api/v1/sandbox/{id}/answer</c>; the answer route's 400/404/409; a pending question across a restart.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class AskUserTests : IAsyncLifetime
{
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync() => _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>(GatewayKit.NoPreview)
    {
        ["LivePreview:Gateway:AskKeepAlive"] = "00:00:00.2",
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static async Task<McpClient> ConnectAsync(HttpClient http, string token) =>
        await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri("http://gateway/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token },
        }, http, ownsHttpClient: false));

    private async Task<JsonElement> PendingAsync(string id, HttpClient? client = null)
    {
        for (var i = 0; i < 300; i++)
        {
            var questions = await (client ?? _host.Http).GetFromJsonAsync<JsonElement>($"api/v1/sandbox/{id}/questions");
            var pending = questions.EnumerateArray().Where(q => q.GetProperty("status").GetString() == "pending").ToList();
            if (pending.Count > 0)
            {
                return pending[0];
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("No question became pending: " + await (client ?? _host.Http).GetStringAsync($"api/v1/sandbox/{id}/questions"));
    }

    [Fact]
    public async Task Ask_user_through_the_MCP_client_waits_for_the_answer_given_through_the_API()
    {
        var id = await GatewayKit.RunningSandboxAsync(_host);
        using var http = GatewayKit.SocketClient(_host);
        await using var client = await ConnectAsync(http, _host.Service<GatewayTokens>().For(id));
        var tools = await client.ListToolsAsync();
        Assert.Equal(["ask_user", "preview_errors", "preview_status"], tools.Select(t => t.Name).Order().ToArray());

        var beats = new ConcurrentQueue<ProgressNotificationValue>();
        var call = client.CallToolAsync("ask_user", new Dictionary<string, object?> { ["question"] = "Blue or green?", ["choices"] = new[] { "blue", "green" } },
            new SyncProgress(beats.Enqueue));
        var pending = await PendingAsync(id);
        Assert.Equal("Blue or green?", pending.GetProperty("question").GetString());
        Assert.Equal(["blue", "green"], pending.GetProperty("choices").EnumerateArray().Select(c => c.GetString()!).ToArray());
        var questionId = pending.GetProperty("id").GetString()!;
        Assert.StartsWith("q_", questionId);
        Assert.False(call.IsCompleted);

        using (var empty = await _host.Http.PostAsJsonAsync($"api/v1/sandbox/{id}/answer", new { answer = "  " }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        }
        using (var stranger = await GatewayKit.SecondUserAsync(_host, "mallory"))
        using (var theirs = await stranger.PostAsJsonAsync($"api/v1/sandbox/{id}/answer", new { answer = "red" }))
        {
            Assert.Equal(HttpStatusCode.NotFound, theirs.StatusCode);
        }
        using (var answered = await _host.Http.PostAsJsonAsync($"api/v1/sandbox/{id}/answer", new { answer = "green" }))
        {
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
            var body = await answered.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(questionId, body.GetProperty("id").GetString());
            Assert.Equal("answered", body.GetProperty("status").GetString());
        }
        var result = await call;
        Assert.NotEqual(true, result.IsError);
        Assert.Equal("green", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        // Sent before the call's result on the same stream: the keep-alive reached the client while it waited.
        Assert.NotEmpty(beats);

        using (var again = await _host.Http.PostAsJsonAsync($"api/v1/sandbox/{id}/answer", new { question_id = questionId, answer = "blue" }))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
            Assert.Contains("already answered", await again.Content.ReadAsStringAsync());
        }
        using (var none = await _host.Http.PostAsJsonAsync($"api/v1/sandbox/{id}/answer", new { answer = "blue" }))
        {
            Assert.Equal(HttpStatusCode.Conflict, none.StatusCode);
            Assert.Contains("no pending question", await none.Content.ReadAsStringAsync());
        }

        var events = await _host.Service<EventStore>().ReadAfterAsync(0,
            new EventFilter(SandboxId: id, Types: new HashSet<string> { EventTypes.Question, EventTypes.Answered }), 10, CancellationToken.None);
        Assert.Equal([EventTypes.Question, EventTypes.Answered], events.Select(e => e.Type).ToArray());
        Assert.Equal(["question_id", "question", "choices"], events[0].Payload!.Value.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal(questionId, events[0].Payload!.Value.GetProperty("question_id").GetString());
        Assert.Equal("green", events[1].Payload!.Value.GetProperty("answer").GetString());
        Assert.False(string.IsNullOrEmpty(events[1].Payload!.Value.GetProperty("answered_by").GetString()));
    }

    [Fact]
    public async Task A_session_is_bound_to_the_sandbox_of_its_token()
    {
        var a = await GatewayKit.RunningSandboxAsync(_host);
        var b = await GatewayKit.RunningSandboxAsync(_host);
        var tokens = _host.Service<GatewayTokens>();
        using var http = GatewayKit.SocketClient(_host);
        await using var client = await ConnectAsync(http, tokens.For(a));
        var sessionId = client.SessionId!;
        // The same session id with b's token: the SDK refuses a session to another user (here: another sandbox).
        using var request = new HttpRequestMessage(HttpMethod.Post, "mcp")
        {
            Content = JsonContent.Create(new { jsonrpc = "2.0", id = 7, method = "tools/list" }),
        };
        request.Headers.Authorization = new("Bearer", tokens.For(b));
        request.Headers.Add("mcp-session-id", sessionId);
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await http.SendAsync(request);
        Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound, $"got {(int)response.StatusCode}");
    }

    [Fact]
    public async Task A_pending_question_survives_a_restart_is_published_again_and_an_agent_asking_again_joins_it()
    {
        var id = await GatewayKit.RunningSandboxAsync(_host);
        using (var http = GatewayKit.SocketClient(_host))
        {
            await using var client = await ConnectAsync(http, _host.Service<GatewayTokens>().For(id));
            _ = client.CallToolAsync("ask_user", new Dictionary<string, object?> { ["question"] = "Ship it?" });
            await PendingAsync(id);
        }
        var dataDirectory = _host.DataDirectory;
        await _host.App.StopAsync();
        await _host.App.DisposeAsync();
        _host = await LivePreviewHost.StartAsync(GatewayKit.NoPreview, dataDirectory);

        var pending = await PendingAsync(id);
        var questionId = pending.GetProperty("id").GetString()!;
        var published = await _host.Service<EventStore>().ReadAfterAsync(0,
            new EventFilter(SandboxId: id, Types: new HashSet<string> { EventTypes.Question }), 10, CancellationToken.None);
        Assert.Equal(2, published.Count(e => e.Payload!.Value.GetProperty("question_id").GetString() == questionId));

        var asking = _host.Service<QuestionService>().AskAsync(id, null, "Ship it?", null, CancellationToken.None);
        Assert.Equal(questionId, (await PendingAsync(id)).GetProperty("id").GetString());
        using (var answered = await _host.Http.PostAsJsonAsync($"api/v1/sandbox/{id}/answer", new { answer = "yes" }))
        {
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        }
        var answer = await asking;
        Assert.Equal((questionId, QuestionStatus.Answered, "yes"), (answer.QuestionId, answer.Status, answer.Answer));
        var all = await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/sandbox/{id}/questions");
        Assert.Single(all.EnumerateArray());
    }

    private sealed class SyncProgress(Action<ProgressNotificationValue> report) : IProgress<ProgressNotificationValue>
    {
        public void Report(ProgressNotificationValue value) => report(value);
    }
}
