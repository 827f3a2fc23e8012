using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Events;
using LivePreview.Tests.Hosting;
using LivePreview.Tests.Sandboxes;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Prototypes;

/// <summary>A prototyping session on a real sandbox with the replay agent: prompts, checkpoints, restore, export, end.</summary>
[Collection(ServiceCollection.Name)]
public sealed class PrototypeSessionTests : IAsyncLifetime
{
    private LivePreviewHost _host = null!;
    private readonly string _scratch = Directory.CreateTempSubdirectory("livepreview-export-test-").FullName;

    // Local bare repositories are refused by default; this test's scratch folder is allowed the way an operator would allow one.
    public async Task InitializeAsync() =>
        _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?> { ["LivePreview:Git:AllowedRemotes:0"] = _scratch + "/" });

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(_scratch, recursive: true);
    }

    [Fact]
    public async Task Prompts_edit_the_workspace_become_checkpoints_restore_and_export_to_a_bare_repository()
    {
        var session = await StartAsync();
        var id = session.GetProperty("id").GetString()!;
        var sandboxId = session.GetProperty("sandbox_id").GetString()!;
        await _host.WaitForPreviewAsync(sandboxId);

        var completed = WaitForAsync(sandboxId, EventTypes.PromptCompleted);
        var prompt = await _host.Http.PostAsJsonAsync($"api/v1/prototype/session/{id}/prompt", new { prompt = "add a navbar with dark mode toggle" });
        Assert.Equal(HttpStatusCode.Accepted, prompt.StatusCode);
        await ApiValidationTests.ProblemAsync(await _host.Http.PostAsJsonAsync($"api/v1/prototype/session/{id}/prompt", new { prompt = "again" }), 409);
        await completed;
        Assert.Contains("data-testid=\"navbar\"", await _host.Http.GetStringAsync($"api/v1/prototype/session/{id}/files/src/components/Navbar.tsx"));

        var checkpoints = await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/prototype/session/{id}/checkpoints");
        Assert.Equal(["initial", "prompt"], checkpoints.EnumerateArray().Select(c => c.GetProperty("kind").GetString()));
        var initial = checkpoints[0].GetProperty("id").GetString();
        Assert.Contains(checkpoints[1].GetProperty("files").EnumerateArray(), f => f.GetString()!.EndsWith("src/components/Navbar.tsx", StringComparison.Ordinal));

        var bare = await BareRepositoryAsync();
        const string message = "Prototype \"quoted\" $(touch /tmp/livepreview-pwned) `id`; rm -rf ~";
        var export = await _host.Http.PostAsJsonAsync($"api/v1/prototype/session/{id}/export", new { repo_url = bare, branch = "proto/$HOME-it's", message });
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        var sha = (await export.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("commit_sha").GetString();
        Assert.Equal(sha, (await GitAsync(bare, "rev-parse", "proto/$HOME-it's")).Trim());
        Assert.Equal(message, (await GitAsync(bare, "log", "-1", "--format=%B", "proto/$HOME-it's")).Trim());
        Assert.Contains("src/components/Navbar.tsx", await GitAsync(bare, "ls-tree", "-r", "--name-only", "proto/$HOME-it's"));
        Assert.False(File.Exists("/tmp/livepreview-pwned"));

        var restored = await _host.Http.PostAsync($"api/v1/prototype/session/{id}/checkpoints/{initial}/restore", null);
        Assert.Equal(HttpStatusCode.OK, restored.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _host.Http.GetAsync($"api/v1/prototype/session/{id}/files/src/components/Navbar.tsx")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await _host.Http.DeleteAsync($"api/v1/prototype/session/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _host.Http.GetAsync($"api/v1/sandboxes/{sandboxId}")).StatusCode);
        Assert.DoesNotContain($"lp-{sandboxId}", await SandboxLifecycleTests.RunAsync("ip", "netns", "list"));
        await ApiValidationTests.ProblemAsync(await _host.Http.GetAsync($"api/v1/prototype/session/{id}"), 404);
    }

    [Fact]
    public async Task Hostile_or_broken_export_requests_get_clear_errors_and_run_nothing()
    {
        var session = await StartAsync();
        var id = session.GetProperty("id").GetString()!;
        await _host.WaitForPreviewAsync(session.GetProperty("sandbox_id").GetString()!);
        var bare = await BareRepositoryAsync();
        var export = $"api/v1/prototype/session/{id}/export";

        await ApiValidationTests.ProblemAsync(await _host.Http.PostAsJsonAsync(export, new { repo_url = "-oProxyCommand=touch /tmp/livepreview-pwned", branch = "a" }), 400);
        await ApiValidationTests.ProblemAsync(await _host.Http.PostAsJsonAsync(export, new { repo_url = "ext::sh -c touch% /tmp/livepreview-pwned", branch = "a" }), 400);
        await ApiValidationTests.ProblemAsync(await _host.Http.PostAsJsonAsync(export, new { repo_url = bare, branch = "$(touch /tmp/livepreview-pwned)" }), 400);
        await ApiValidationTests.ProblemAsync(await _host.Http.PostAsJsonAsync(export, new { repo_url = bare, branch = "--force" }), 400);
        await ApiValidationTests.ProblemAsync(await _host.Http.PostAsJsonAsync(export, new { repo_url = Path.Join(_scratch, "missing.git"), branch = "a" }), 502);

        var unrelated = (await GitAsync(bare, "commit-tree", "4b825dc642cb6eb9a060e54bf8d69288fbee4904", "-m", "unrelated")).Trim();
        await GitAsync(bare, "update-ref", "refs/heads/taken", unrelated);
        await ApiValidationTests.ProblemAsync(await _host.Http.PostAsJsonAsync(export, new { repo_url = bare, branch = "taken" }), 409);

        await ApiValidationTests.ProblemAsync(await _host.Http.PostAsJsonAsync($"api/v1/prototype/session/{id}/prompt", new { prompt = new string('x', 20_001) }), 400);
        await ApiValidationTests.ProblemAsync(await _host.Http.PostAsJsonAsync($"api/v1/prototype/session/{id}/prompt", new { prompt = " " }), 400);
        Assert.False(File.Exists("/tmp/livepreview-pwned"));
        await _host.Http.DeleteAsync($"api/v1/prototype/session/{id}");
    }

    [Fact]
    public async Task Without_an_agent_configured_the_session_still_starts_and_says_what_to_set()
    {
        var response = await _host.Http.PostAsJsonAsync("api/v1/prototype/session", new { framework = "react-vite" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var session = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(session.GetProperty("agent_available").GetBoolean());
        Assert.Contains("LivePreview__Agents__", session.GetProperty("agent_problem").GetString());
        var id = session.GetProperty("id").GetString()!;
        var problem = await ApiValidationTests.ProblemAsync(await _host.Http.PostAsJsonAsync($"api/v1/prototype/session/{id}/prompt", new { prompt = "hi" }), 409);
        Assert.Contains("LivePreview__Agents__", problem.GetProperty("detail").GetString());
        await _host.Http.DeleteAsync($"api/v1/prototype/session/{id}");
    }

    [Fact]
    public async Task The_framework_is_detected_from_package_json_unless_given()
    {
        var next = """{"dependencies":{"next":"16.0.0","react":"19.0.0"}}""";
        var started = await _host.Http.PostAsJsonAsync("api/v1/prototype/session", new { package_json = next, agent = "replay" });
        var session = await started.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("next", session.GetProperty("framework").GetString());
        await _host.Http.DeleteAsync($"api/v1/prototype/session/{session.GetProperty("id").GetString()}");
        await ApiValidationTests.ProblemAsync(await _host.Http.PostAsJsonAsync("api/v1/prototype/session", new { framework = "svelte" }), 400);
    }

    private async Task<JsonElement> StartAsync()
    {
        var response = await _host.Http.PostAsJsonAsync("api/v1/prototype/session", new { framework = "react-vite", agent = "replay" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<string> BareRepositoryAsync()
    {
        var bare = Path.Join(_scratch, $"remote-{Guid.NewGuid():N}.git");
        await GitAsync(null, "init", "-q", "--bare", bare);
        return bare;
    }

    private Task<LivePreviewEvent> WaitForAsync(string sandboxId, string type)
    {
        var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var stream = _host.Service<IEventBus>().SubscribeAsync(new EventFilter(sandboxId, new HashSet<string> { type, EventTypes.PromptFailed }), cts.Token).GetAsyncEnumerator(cts.Token);
        var next = stream.MoveNextAsync();
        return Task.Run(async () =>
        {
            Assert.True(await next);
            Assert.Equal(type, stream.Current.Type);
            return stream.Current;
        });
    }

    private static Task<string> GitAsync(string? repo, params string[] args) =>
        SandboxLifecycleTests.RunAsync("git", repo is null ? args : ["-C", repo, .. args]);
}
