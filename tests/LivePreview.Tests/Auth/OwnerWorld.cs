using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Auth;

/// <summary>
/// One service with three users made by the admin — alice (who owns things), bob and carol (who own nothing) —
/// and alice's real resources: a prototype session with the replay agent, its sandbox, the sandbox's ready preview,
/// a prompt's checkpoints, and a spare API key for the keys routes.
/// </summary>
public class OwnerWorld : IAsyncLifetime
{
    public LivePreviewHost Host { get; private set; } = null!;

    public string AliceKey { get; private set; } = "";
    public string BobKey { get; private set; } = "";
    public string CarolKey { get; private set; } = "";

    /// <summary>Alice's things, by the name of the route parameter they fill.</summary>
    public RouteValues Alice { get; private set; } = null!;

    /// <summary>The ids and data of alice that no other user's answer may contain.</summary>
    public IReadOnlyList<string> Secrets { get; private set; } = [];

    public async Task InitializeAsync()
    {
        // No task worker: alice's task stays queued, so its routes have a task of hers to show and nothing else runs it.
        Host = await LivePreviewHost.StartAsync(Settings());
        AliceKey = await CreateKeyAsync("alice");
        BobKey = await CreateKeyAsync("bob");
        CarolKey = await CreateKeyAsync("carol");
        var spareKeyId = (await CreateKeyResponseAsync("spare")).GetProperty("id").GetString()!;

        using var alice = AuthClients.WithKey(Host, AliceKey);
        using var started = await alice.PostAsJsonAsync("api/v1/prototype/session", new { framework = "react-vite", agent = "replay" });
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        var session = await started.Content.ReadFromJsonAsync<JsonElement>();
        var sessionId = session.GetProperty("id").GetString()!;
        var sandboxId = session.GetProperty("sandbox_id").GetString()!;
        var preview = await Host.WaitForPreviewAsync(sandboxId);

        using var prompt = await alice.PostAsJsonAsync($"api/v1/prototype/session/{sessionId}/prompt", new { prompt = "add a navbar with dark mode toggle" });
        Assert.Equal(HttpStatusCode.Accepted, prompt.StatusCode);
        var turnId = (await prompt.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await WaitForTurnAsync(alice, sessionId);
        var checkpoints = await CheckpointsWithScreenshotAsync(alice, sessionId);

        // An agent session on the same sandbox (replay agent), so its routes have something of alice's to show.
        using var agentSession = await alice.PostAsJsonAsync($"api/v1/sandbox/{sandboxId}/session", new { agent = "replay", instruction = "add a navbar with dark mode toggle" });
        Assert.Equal(HttpStatusCode.Created, agentSession.StatusCode);
        var agentSessionId = (await agentSession.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await WaitForAgentSessionAsync(alice, sandboxId);

        // A command of alice's, ended, so that the owner's walk reaches every commands route with a real id.
        using var command = await alice.PostAsJsonAsync($"api/v1/sandboxes/{sandboxId}/commands", new { command = new[] { "true" } });
        Assert.Equal(HttpStatusCode.Accepted, command.StatusCode);
        var commandId = (await command.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        // A task of alice's (queued directly: its repository need not pass the remote policy, no worker runs it).
        var task = await Host.Service<LivePreview.Tasks.TaskQueue>().EnqueueAsync(
            new LivePreview.Tasks.NewTask("alice", "route walk", "https://forge.invalid/alice/app.git", "main"), CancellationToken.None);

        Alice = new RouteValues(sandboxId, preview.GetProperty("id").GetString()!, sessionId, checkpoints[^1].GetProperty("id").GetString()!, spareKeyId, CommandId: commandId, TaskId: task.Id);
        Secrets = [sandboxId, Alice.PreviewId, sessionId, turnId, agentSessionId, commandId, task.Id,
            .. checkpoints.Select(c => c.GetProperty("id").GetString()!), .. checkpoints.Select(c => c.GetProperty("sha").GetString()!)];
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();

    /// <summary>The service's settings; a world for another purpose may add its own.</summary>
    protected virtual Dictionary<string, string?> Settings() => new() { ["LivePreview:Tasks:Workers"] = "0" };

    /// <summary>The session's checkpoints once the prompt's one has its screenshot, so the walk reaches the screenshot route with one to show.</summary>
    private static async Task<List<JsonElement>> CheckpointsWithScreenshotAsync(HttpClient alice, string sessionId)
    {
        for (var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90); ; await Task.Delay(250))
        {
            var checkpoints = (await alice.GetFromJsonAsync<JsonElement>($"api/v1/prototype/session/{sessionId}/checkpoints")).EnumerateArray().ToList();
            if (checkpoints.Count > 0 && checkpoints[^1].GetProperty("screenshot_url").ValueKind == JsonValueKind.String)
            {
                return checkpoints;
            }
            Assert.True(DateTime.UtcNow < deadline, $"The prompt's checkpoint got no screenshot: {string.Join(", ", checkpoints)}");
        }
    }

    private async Task<string> CreateKeyAsync(string user) => (await CreateKeyResponseAsync(user)).GetProperty("key").GetString()!;

    private async Task<JsonElement> CreateKeyResponseAsync(string user)
    {
        using var response = await Host.Http.PostAsJsonAsync("api/v1/keys", new { user, name = "every-route" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static async Task WaitForAgentSessionAsync(HttpClient alice, string sandboxId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        while (DateTime.UtcNow < deadline)
        {
            var session = await alice.GetFromJsonAsync<JsonElement>($"api/v1/sandbox/{sandboxId}/session");
            if (session.GetProperty("status").GetString() is not ("running" or "waiting_for_answer"))
            {
                return;
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"The agent session on sandbox {sandboxId} did not end in time.");
    }

    private static async Task WaitForTurnAsync(HttpClient alice, string sessionId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        while (DateTime.UtcNow < deadline)
        {
            var session = await alice.GetFromJsonAsync<JsonElement>($"api/v1/prototype/session/{sessionId}");
            var turn = session.GetProperty("turns").EnumerateArray().Single();
            var status = turn.GetProperty("status").GetString();
            if (status == "completed")
            {
                return;
            }
            Assert.True(status == "running", $"The prompt ended {status}: {turn}");
            await Task.Delay(200);
        }
        throw new TimeoutException($"The prompt of session {sessionId} did not complete in time.");
    }
}

/// <summary>What fills a route's parameters: one user's real resources, or ids of the same shapes that do not exist.</summary>
public sealed record RouteValues(string SandboxId, string PreviewId, string SessionId, string CheckpointId, string KeyId, string? GrantId = null, string? CommandId = null, string? TaskId = null)
{
    public static RouteValues Unknown() => new(
        "z" + Random(11), "pv" + Random(10), "ps" + Random(10), "cp" + Random(10), "key_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)),
        "gr" + Random(10), "cmd_z" + Random(11), "tk" + Random(12));

    /// <summary>Lower-case letters and digits, like the service's ids.</summary>
    private static string Random(int length) =>
        string.Concat(System.Security.Cryptography.RandomNumberGenerator.GetItems<char>("abcdefghijklmnopqrstuvwxyz0123456789", length));
}
