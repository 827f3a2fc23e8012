using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Agents.Cli;

/// <summary>
/// The service with a real react-vite sandbox and the model gateway pointed at <see cref="FakeModelServer"/>: what the
/// in-sandbox CLI agent tests share. The service holds <see cref="RealKey"/>; the sandbox must never see it.
/// </summary>
internal sealed class SandboxAgentKit(LivePreviewHost host, FakeModelServer model)
{
    private LivePreviewHost _host = host;

    public const string RealKey = "sk-ant-api03-" + KeyFragment + "-5d1e9a";

    /// <summary>What the grep inside the sandbox looks for: enough to find the key, without handing the key itself to the sandbox.</summary>
    private const string KeyFragment = "REAL-provider-key-only-the-service-has";

    public LivePreviewHost Host => _host;

    public FakeModelServer Model => model;

    public static async Task<SandboxAgentKit> StartAsync(Timeline timeline)
    {
        var model = await FakeModelServer.StartAsync(timeline);
        return new SandboxAgentKit(await StartHostAsync(model, null), model);
    }

    private static Task<LivePreviewHost> StartHostAsync(FakeModelServer model, string? dataDirectory) => LivePreviewHost.StartAsync(new Dictionary<string, string?>
    {
        ["LivePreview:Agents:Anthropic:ApiKey"] = RealKey,
        ["LivePreview:Agents:Anthropic:BaseUrl"] = model.BaseUrl,
        ["LivePreview:Agents:Anthropic:Model"] = "claude-test",
    }, dataDirectory);

    /// <summary>Stops the service (its sandboxes' processes die with it) and starts it again on the same data directory.</summary>
    public async Task RestartAsync()
    {
        var dataDirectory = _host.DataDirectory;
        await _host.App.StopAsync();
        await _host.App.DisposeAsync();
        _host = await StartHostAsync(model, dataDirectory);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await model.DisposeAsync();
    }

    public static string Route(string sandboxId, string action) => $"api/v1/sandbox/{sandboxId}/{action}";

    public async Task<string> RunningSandboxAsync()
    {
        var sandboxId = (await _host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        await _host.WaitForPreviewAsync(sandboxId);
        return sandboxId;
    }

    public async Task<JsonElement> StartSessionAsync(string sandboxId, string agent, string instruction)
    {
        using var started = await _host.Http.PostAsJsonAsync(Route(sandboxId, "session"), new { agent, instruction });
        Assert.True(started.StatusCode == HttpStatusCode.Created, await started.Content.ReadAsStringAsync());
        return await started.Content.ReadFromJsonAsync<JsonElement>();
    }

    public async Task<JsonElement> SessionAsync(string sandboxId) => await _host.Http.GetFromJsonAsync<JsonElement>(Route(sandboxId, "session"));

    /// <summary>
    /// Waits for the session to reach <paramref name="status"/>, answering on the way every question the agent asks:
    /// its permission prompts with Allow, the others with <paramref name="answer"/> (null: a question fails the test).
    /// </summary>
    public async Task<JsonElement> WaitForSessionAsync(string sandboxId, string status, Func<JsonElement, string?>? answer = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(3));
        while (true)
        {
            var view = await SessionAsync(sandboxId);
            var current = view.GetProperty("status").GetString();
            if (current == status)
            {
                return view;
            }
            Assert.False(current is "failed" or "completed" or "interrupted", $"The session is {current}, not {status}: {view.GetRawText()}");
            if (current == "waiting_for_answer")
            {
                await AnswerPendingAsync(sandboxId, answer);
            }
            Assert.True(DateTime.UtcNow < deadline, $"The session stayed {current}: {view.GetRawText()}");
            await Task.Delay(100);
        }
    }

    private async Task AnswerPendingAsync(string sandboxId, Func<JsonElement, string?>? answer)
    {
        var questions = await _host.Http.GetFromJsonAsync<JsonElement>(Route(sandboxId, "questions"));
        foreach (var question in questions.EnumerateArray().Where(q => q.GetProperty("status").GetString() == "pending"))
        {
            var isPermission = question.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array
                && choices.EnumerateArray().Any(c => c.GetString() == LivePreview.Agents.Cli.ClaudeCodeAdapter.AllowChoice);
            var text = isPermission ? LivePreview.Agents.Cli.ClaudeCodeAdapter.AllowChoice : answer?.Invoke(question);
            Assert.True(text is not null, $"Unexpected question: {question.GetRawText()}");
            using var answered = await _host.Http.PostAsJsonAsync(Route(sandboxId, "answer"), new { question_id = question.GetProperty("id").GetString(), answer = text });
            Assert.True(answered.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict, await answered.Content.ReadAsStringAsync());
        }
    }

    /// <summary>Runs a command through the commands API (inside the sandbox, as a user would) and returns its output once it ended.</summary>
    public async Task<string> RunCommandAsync(string sandboxId, params string[] command)
    {
        using var response = await _host.Http.PostAsJsonAsync($"api/v1/sandboxes/{sandboxId}/commands", new { command });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            var view = await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{sandboxId}/commands/{id}");
            if (view.GetProperty("status").GetString() is not ("running" or "starting" or "queued"))
            {
                return await _host.Http.GetStringAsync($"api/v1/sandboxes/{sandboxId}/commands/{id}/output");
            }
            Assert.True(DateTime.UtcNow < deadline, $"The command did not end: {view.GetRawText()}");
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// The provider key is in no file of the sandbox the agent could write (the workspace, its HOME — not empty: the agent
    /// wrote its settings there —, /tmp), searched from inside through the commands API; and every model request reached the fake model with the real key, none with a
    /// sandbox token (the gateway swapped it).
    /// </summary>
    public async Task AssertNoKeyInSandboxAsync(string sandboxId)
    {
        var found = await RunCommandAsync(sandboxId, "sh", "-c",
            "grep -rlsF -e \"$0\" /app /home/sandbox /tmp --exclude-dir=node_modules; echo \"grep-done $(ls -A /home/sandbox | wc -l)\"", KeyFragment);
        Assert.Matches(@"^grep-done [1-9]\d*$", found.Trim());
        Assert.NotEmpty(model.Requests);
        Assert.All(model.Requests, r => Assert.Equal(RealKey, r.Headers["x-api-key"]));
        Assert.All(model.Requests, r => Assert.DoesNotContain(r.Headers.Values, v => v.Contains("lpsb_", StringComparison.Ordinal)));
    }

    public static string Messages(RecordedRequest request) => request.Body.GetProperty("messages").GetRawText();
}
