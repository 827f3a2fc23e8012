using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Support;
using Microsoft.Playwright;

namespace LivePreview.EndToEnd.Ui;

/// <summary>
/// The tasks pages in Chromium against the real service: a task queued from the New task form (a refusal of the API's
/// checks said under the form first) runs for real — a node backend served by <c>git http-backend</c>
/// (<see cref="GitHttpServer"/>), the replay agent in a sandbox made from it, the push, the pull request through Octokit
/// against <see cref="FakeGitHub"/> — while the list follows it live to <c>completed</c> with its pull request; the
/// task's page shows its steps, the pull request and the embedded session feed; another user gets the not-found page.
/// </summary>
[Collection(ServiceCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TasksPageTests : IAsyncLifetime
{
    private const string Token = "ghp_tasks_page";
    private const string Title = "add a health route";
    private readonly string _replays = Directory.CreateTempSubdirectory("lp-taskui-replays-").FullName;
    private readonly string _source = Directory.CreateTempSubdirectory("lp-taskui-repo-").FullName;
    private GitHttpServer _git = null!;
    private FakeGitHub _github = null!;
    private LivePreviewHost _host = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _chromium = null!;

    public async Task InitializeAsync()
    {
        _git = await GitHttpServer.StartAsync(https: true);
        _github = await FakeGitHub.StartAsync(Token, "octo/app");
        Directory.CreateDirectory(Path.Join(_replays, "node"));
        File.WriteAllText(Path.Join(_replays, "node", "health.json"), JsonSerializer.Serialize(new
        {
            prompt = Title, match = "contains", summary = "Added health.js.",
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
        (_playwright, _chromium) = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await _chromium.DisposeAsync();
        _playwright.Dispose();
        await _host.DisposeAsync();
        await _github.DisposeAsync();
        await _git.DisposeAsync();
        Directory.Delete(_replays, recursive: true);
        Directory.Delete(_source, recursive: true);
    }

    [Fact]
    public async Task A_task_queued_from_the_form_is_followed_live_to_its_pull_request_its_page_shows_the_steps_and_the_session_and_a_stranger_gets_not_found()
    {
        File.WriteAllText(Path.Join(_source, "package.json"), "{\"name\":\"api-app\",\"private\":true,\"scripts\":{\"dev\":\"node server.js\"}}\n");
        File.WriteAllText(Path.Join(_source, "server.js"), "require('http').createServer((q, r) => r.end('ok')).listen(process.env.PORT || 3000)\n");
        var remote = _git.AddRepositoryFrom(_source, "octo/app");

        var page = await _chromium.NewPageAsync(new() { ViewportSize = new() { Width = 1440, Height = 900 } });
        await Browser.SignInAsync(page, _host);
        var log = BrowserLog.Attach(page);
        var shots = Browser.ArtifactsDirectory("ui");

        // The nav link, once the dashboard's circuit is up (a click before it is a full page load); the form's button is
        // enabled once the tasks page's circuit is.
        await log.WaitAsync(page.Locator("[data-testid=create-sandbox]:enabled").WaitForAsync(new() { Timeout = 60_000 }));
        await page.GetByTestId("nav-tasks").ClickAsync();
        await page.WaitForURLAsync("**/tasks");
        await log.WaitAsync(page.GetByTestId("no-tasks").WaitForAsync(new() { Timeout = 60_000 }));
        await log.WaitAsync(page.Locator("[data-testid=task-create]:enabled").WaitForAsync(new() { Timeout = 60_000 }));

        // The API's own checks: a base branch git refuses is said under the form, and nothing is queued.
        await page.GetByTestId("task-title").FillAsync(Title);
        await page.GetByTestId("task-repository").FillAsync(remote);
        await page.GetByTestId("task-base-branch").FillAsync("a..b");
        await page.GetByTestId("task-agent").SelectOptionAsync("replay");
        await page.Locator("[data-testid=task-capability][value=api]").CheckAsync();
        await page.GetByTestId("task-create").ClickAsync();
        await log.WaitAsync(page.GetByTestId("task-create-problem").WaitForAsync(new() { Timeout = 30_000 }));
        Assert.Contains("Invalid base branch", await page.GetByTestId("task-create-problem").TextContentAsync());
        Assert.Empty((await _host.Http.GetFromJsonAsync<JsonElement>("api/v1/tasks")).EnumerateArray());

        await page.GetByTestId("task-base-branch").FillAsync("main");
        await page.GetByTestId("task-create").ClickAsync();
        var row = page.GetByTestId("task-row");
        await log.WaitAsync(row.WaitForAsync(new() { Timeout = 30_000 }));
        Assert.Equal(0, await page.GetByTestId("task-create-problem").CountAsync());
        var id = (await row.GetAttributeAsync("data-task-id"))!;
        var created = await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/tasks/{id}");
        Assert.Equal(Title, created.GetProperty("title").GetString());

        // Live: the row reaches completed with its pull request, without a reload.
        await log.WaitAsync(row.Locator("[data-testid=task-status][data-status=completed]").WaitForAsync(new() { Timeout = 300_000 }));
        var task = await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/tasks/{id}");
        Assert.True(task.GetProperty("status").GetString() == "completed", task.ToString());
        await row.GetByTestId("task-pr").WaitForAsync(new() { Timeout = 30_000 });
        Assert.Equal("https://github.com/octo/app/pull/1", await row.GetByTestId("task-pr").GetAttributeAsync("href"));
        Assert.Equal($"livepreview/{id}", await row.GetByTestId("task-branch").TextContentAsync());
        Assert.Contains("'ok'", _git.Git(_git.PathOf("octo/app"), "show", $"refs/heads/livepreview/{id}:health.js"), StringComparison.Ordinal);
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "tasks-list.png"), FullPage = true });

        // The task's page: result, steps, and the session interior with the agent's feed.
        await row.GetByTestId("task-link").ClickAsync();
        await page.WaitForURLAsync($"**/tasks/{id}");
        await log.WaitAsync(page.Locator("[data-testid=task-step][data-type=TASK_COMPLETED]").WaitForAsync(new() { Timeout = 60_000 }));
        Assert.Equal("completed", await page.GetByTestId("task-status").First.GetAttributeAsync("data-status"));
        Assert.Equal("https://github.com/octo/app/pull/1", await page.Locator("[data-testid=task-facts] [data-testid=task-pr]").GetAttributeAsync("href"));
        Assert.Equal(task.GetProperty("sandbox_id").GetString(), await page.GetByTestId("task-sandbox").TextContentAsync());
        Assert.Equal(task.GetProperty("commit").GetString()![..12], await page.GetByTestId("task-commit").TextContentAsync());
        var steps = await page.GetByTestId("task-step").EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.type)");
        Assert.Equal(["QUEUED", "TASK_CLAIMED", "TASK_SANDBOX_READY", "TASK_AGENT_STARTED", "TASK_PUSHED", "TASK_PR_CREATED", "TASK_COMPLETED"], steps);
        Assert.Equal(0, await page.GetByTestId("task-cancel").CountAsync());
        var session = page.GetByTestId("task-session");
        await log.WaitAsync(session.Locator("[data-testid=session-feed-item][data-type=SESSION_COMPLETED]").WaitForAsync(new() { Timeout = 60_000 }));
        await session.Locator("[data-testid=session-feed-item][data-type=SESSION_STARTED]").WaitForAsync();
        Assert.Equal("completed", await session.GetByTestId("session-status").GetAttributeAsync("data-status"));
        // Embedded: the worker's session is the task's, so no Start or Resume here.
        Assert.Equal(0, await session.GetByTestId("session-start-form").CountAsync());
        Assert.Equal(0, await session.GetByTestId("session-resume").CountAsync());
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "task-detail.png"), FullPage = true });
        await page.CloseAsync();

        // Another user: the task's page is the not-found page, and the list has none of it.
        using var keyResponse = await _host.Http.PostAsJsonAsync("api/v1/keys", new { user = "mallory", name = "e2e" });
        var key = (await keyResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        var stranger = await _chromium.NewPageAsync();
        await stranger.GotoAsync(new Uri(_host.BaseUri, "login").ToString());
        await stranger.GetByTestId("signin-key").FillAsync(key);
        await stranger.GetByTestId("signin-submit").ClickAsync();
        await stranger.WaitForURLAsync(new Uri(_host.BaseUri, "/").ToString());
        var notFound = await stranger.GotoAsync(new Uri(_host.BaseUri, $"tasks/{id}").ToString());
        Assert.Equal(404, notFound!.Status);
        await stranger.GetByTestId("not-found").WaitForAsync(new() { Timeout = 30_000 });
        Assert.Equal(0, await stranger.GetByTestId("task-title").CountAsync());
        Assert.DoesNotContain(Title, await stranger.ContentAsync(), StringComparison.Ordinal);
        await stranger.GotoAsync(new Uri(_host.BaseUri, "tasks").ToString());
        await stranger.GetByTestId("no-tasks").WaitForAsync(new() { Timeout = 30_000 });
        Assert.Equal(0, await stranger.GetByTestId("task-row").CountAsync());
        await stranger.CloseAsync();
    }
}
