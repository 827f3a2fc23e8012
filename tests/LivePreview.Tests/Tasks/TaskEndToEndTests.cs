using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Repositories;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Tasks;

/// <summary>
/// A task from the API to its pull request, for real: a Vite + React repository served by <c>git http-backend</c>
/// (<see cref="GitHttpServer"/>), the task worker making a sandbox from it, the replay agent (the recorded react-vite navbar edit, matched by the task's title) editing it on
/// <c>livepreview/&lt;task id&gt;</c>, the push landing in the served bare repository, and the pull request opened through
/// Octokit against <see cref="FakeGitHub"/> configured as the forge for that server's host.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TaskEndToEndTests : IAsyncLifetime
{
    private const string Token = "ghp_tasks_end_to_end";
    private const string Instruction = "add a navbar with dark mode toggle";
    private readonly TestRepositories _repos = new();
    private readonly string _replays = Directory.CreateTempSubdirectory("lp-task-replays-").FullName;
    private GitHttpServer _git = null!;
    private FakeGitHub _github = null!;
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync()
    {
        // https: a forge opens pull requests on https remotes only (the CA of the server's self-signed certificate is trusted).
        _git = await GitHttpServer.StartAsync(https: true);
        _github = await FakeGitHub.StartAsync(Token, "octo/app");
        // The recorded react-vite edits, and one for a node backend (the framework detected for it).
        Directory.CreateDirectory(Path.Join(_replays, "node"));
        CopyTree(Path.Join(LivePreviewHost.RepositoryRoot, "replays", "react-vite"), Path.Join(_replays, "react-vite"));
        File.WriteAllText(Path.Join(_replays, "node", "health.json"), JsonSerializer.Serialize(new
        {
            prompt = "add a health route", match = "contains", summary = "Added health.js.",
            steps = new object[] { new { tool = "write_file", arguments = new { path = "health.js", content = "module.exports = () => 'ok'\n" } } },
        }));
        _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:Agents:ReplayDirectory"] = _replays,
            ["LivePreview:Git:AllowedRemotes:0"] = _git.BaseUrl.ToString(),
            ["LivePreview:Git:CaCertificates"] = _git.CaCertificatePath,
            ["LivePreview:Forges:0:Host"] = $"127.0.0.1:{_git.BaseUrl.Port}",
            ["LivePreview:Forges:0:Kind"] = "GitHub",
            ["LivePreview:Forges:0:ApiUrl"] = _github.BaseUri.ToString(),
            ["LivePreview:Forges:0:Token"] = Token,
            ["LivePreview:Tasks:PollInterval"] = "00:00:00.250",
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _github.DisposeAsync();
        await _git.DisposeAsync();
        _repos.Dispose();
        Directory.Delete(_replays, recursive: true);
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Join(to, Path.GetFileName(file)));
        }
    }

    [Fact]
    public async Task A_backend_task_completes_with_a_pull_request_and_its_sandbox_never_gets_a_preview()
    {
        var source = Path.Join(_repos.Root, "api-app");
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Join(source, "package.json"), "{\"name\":\"api-app\",\"private\":true,\"scripts\":{\"dev\":\"node server.js\"}}\n");
        File.WriteAllText(Path.Join(source, "server.js"), "require('http').createServer((q, r) => r.end('ok')).listen(process.env.PORT || 3000)\n");
        var remote = _git.AddRepositoryFrom(source, "octo/app");

        using var created = await _host.Http.PostAsJsonAsync("api/v1/tasks", new
        {
            title = "add a health route", repository = new { url = remote, base_branch = "main" }, required_capabilities = new[] { "api" }, agent = "replay",
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        var task = await WaitForEndAsync(id);
        Assert.True(task.GetProperty("status").GetString() == "completed", task.ToString());
        Assert.Equal(JsonValueKind.Null, task.GetProperty("preview_url").ValueKind);
        Assert.Equal("https://github.com/octo/app/pull/1", task.GetProperty("pull_request_url").GetString());
        Assert.Contains("'ok'", _git.Git(_git.PathOf("octo/app"), "show", $"refs/heads/livepreview/{id}:health.js"), StringComparison.Ordinal);
        var events = await EventsAsync(task.GetProperty("sandbox_id").GetString()!);
        Assert.Contains("TASK_COMPLETED", events);
        Assert.DoesNotContain("PREVIEW_READY", events);
        Assert.Null(Metrics.PreviewMetricsTests.Sample(await _host.Http.GetStringAsync("/metrics"), "livepreview_tasks_frontend_total"));
    }

    [Fact]
    public async Task A_frontend_task_runs_the_agent_in_a_sandbox_from_the_repository_pushes_its_branch_and_opens_a_pull_request_with_the_preview()
    {
        var source = _repos.FromTemplate("task-app", "Task app");
        var remote = _git.AddRepositoryFrom(source, "octo/app");

        using var created = await _host.Http.PostAsJsonAsync("api/v1/tasks", new
        {
            title = Instruction, description = "The toggle flips a dark class.", repository = new { url = remote, base_branch = "main" },
            required_capabilities = new[] { "react", "vite" }, agent = "replay",
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        var task = await WaitForEndAsync(id);
        Assert.True(task.GetProperty("status").GetString() == "completed", task.ToString());
        var branch = $"livepreview/{id}";
        Assert.Equal(branch, task.GetProperty("branch").GetString());
        var sandboxId = task.GetProperty("sandbox_id").GetString()!;
        var previewUrl = task.GetProperty("preview_url").GetString();
        Assert.False(string.IsNullOrEmpty(previewUrl));

        // The branch is in the served bare repository, at the task's commit, with the agent's edit.
        var bare = _git.PathOf("octo/app");
        Assert.Equal(task.GetProperty("commit").GetString(), _git.Git(bare, "rev-parse", "refs/heads/" + branch).Trim());
        Assert.Contains("Navbar", _git.Git(bare, "show", $"refs/heads/{branch}:src/App.tsx"), StringComparison.Ordinal);
        Assert.Contains($"LivePreview task {id}", _git.Git(bare, "log", "-1", "--format=%s", "refs/heads/" + branch), StringComparison.Ordinal);

        // One pull request, from the branch to main, with the title and a body naming the preview.
        var post = Assert.Single(_github.PullRequestCalls, r => r.Method == "POST");
        Assert.Equal(Instruction, (string?)post.Body!["title"]);
        Assert.Equal(branch, (string?)post.Body["head"]);
        Assert.Equal("main", (string?)post.Body["base"]);
        Assert.Contains("The toggle flips a dark class.", (string?)post.Body["body"], StringComparison.Ordinal);
        Assert.Contains(previewUrl!, (string?)post.Body["body"], StringComparison.Ordinal);
        Assert.Equal("https://github.com/octo/app/pull/1", task.GetProperty("pull_request_url").GetString());

        var events = await EventsAsync(sandboxId);
        Assert.Contains("PREVIEW_READY", events);
        foreach (var step in new[] { "TASK_SANDBOX_READY", "TASK_AGENT_STARTED", "TASK_PUSHED", "TASK_PR_CREATED", "TASK_COMPLETED" })
        {
            Assert.Contains(step, events);
        }
        // Counted just after the row says completed: read until it shows.
        var metrics = await Metrics.PreviewMetricsTests.WaitForMetricsAsync(_host,
            text => Metrics.PreviewMetricsTests.Sample(text, "livepreview_tasks_frontend_total", ("preview", "ready")) == 1);
        Assert.Null(Metrics.PreviewMetricsTests.Sample(metrics, "livepreview_tasks_frontend_total", ("preview", "none")));
    }

    private async Task<JsonElement> WaitForEndAsync(string id)
    {
        for (var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5); ; await Task.Delay(500))
        {
            var task = await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/tasks/{id}");
            var status = task.GetProperty("status").GetString();
            if (status is "completed" or "failed" or "cancelled" || (status == "queued" && task.GetProperty("error").ValueKind == JsonValueKind.String))
            {
                return task;
            }
            Assert.True(DateTime.UtcNow < deadline, $"Task {id} did not end: {task}");
        }
    }

    private async Task<List<string>> EventsAsync(string sandboxId)
    {
        var page = await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/events?after=0&limit=1000&sandbox_id={sandboxId}");
        return [.. page.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("type").GetString()!)];
    }
}
