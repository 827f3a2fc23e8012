using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Support;
using Microsoft.Playwright;

namespace LivePreview.EndToEnd.Ui;

/// <summary>
/// The tasks pages' refusals and Cancel in Chromium, with no task worker (<c>LivePreview:Tasks:Workers</c> 0) so that a
/// task stays queued: a remote the policy refuses is said under the form in the API's own words; a queued task's page
/// has no session yet, and its Cancel button cancels it as the cancel route does.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class TaskCancelInBrowserTests : IAsyncLifetime
{
    private readonly string _remotes = Directory.CreateTempSubdirectory("lp-taskui-remotes-").FullName;
    private LivePreviewHost _host = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _chromium = null!;

    public async Task InitializeAsync()
    {
        _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:Tasks:Workers"] = "0",
            ["LivePreview:Git:AllowedRemotes:0"] = _remotes + "/",
        });
        (_playwright, _chromium) = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await _chromium.DisposeAsync();
        _playwright.Dispose();
        await _host.DisposeAsync();
        Directory.Delete(_remotes, recursive: true);
    }

    [Fact]
    public async Task A_refused_remote_is_said_as_the_API_says_it_and_a_queued_task_is_cancelled_from_its_page()
    {
        var page = await _chromium.NewPageAsync(new() { ViewportSize = new() { Width = 1440, Height = 900 } });
        await Browser.SignInAsync(page, _host);
        var log = BrowserLog.Attach(page);
        await page.GotoAsync(new Uri(_host.BaseUri, "tasks").ToString());
        await log.WaitAsync(page.Locator("[data-testid=task-create]:enabled").WaitForAsync(new() { Timeout = 60_000 }));

        const string refusedRemote = "http://127.0.0.1:9/octo/app.git";
        await page.GetByTestId("task-title").FillAsync("cancel me");
        await page.GetByTestId("task-repository").FillAsync(refusedRemote);
        await page.GetByTestId("task-agent").SelectOptionAsync("replay");
        await page.GetByTestId("task-create").ClickAsync();
        await log.WaitAsync(page.GetByTestId("task-create-problem").WaitForAsync(new() { Timeout = 30_000 }));
        using var api = await _host.Http.PostAsJsonAsync("api/v1/tasks", new { title = "cancel me", repository = new { url = refusedRemote }, agent = "replay" });
        Assert.Equal(HttpStatusCode.BadRequest, api.StatusCode);
        var problem = await api.Content.ReadFromJsonAsync<JsonElement>();
        var said = await page.GetByTestId("task-create-problem").TextContentAsync();
        Assert.Contains(problem.GetProperty("title").GetString()!, said);
        Assert.Contains(problem.GetProperty("detail").GetString()!, said);
        Assert.Equal(0, await page.GetByTestId("task-row").CountAsync());

        await page.GetByTestId("task-repository").FillAsync(Path.Join(_remotes, "app.git"));
        await page.GetByTestId("task-create").ClickAsync();
        var row = page.GetByTestId("task-row");
        await log.WaitAsync(row.Locator("[data-testid=task-status][data-status=queued]").WaitForAsync(new() { Timeout = 30_000 }));
        var id = (await row.GetAttributeAsync("data-task-id"))!;

        await row.GetByTestId("task-link").ClickAsync();
        await page.WaitForURLAsync($"**/tasks/{id}");
        await log.WaitAsync(page.GetByTestId("task-no-session").WaitForAsync(new() { Timeout = 30_000 }));
        Assert.Equal("queued", await page.GetByTestId("task-status").GetAttributeAsync("data-status"));
        await page.GetByTestId("task-cancel").ClickAsync();
        await log.WaitAsync(page.Locator("[data-testid=task-status][data-status=cancelled]").WaitForAsync(new() { Timeout = 30_000 }));
        await page.Locator("[data-testid=task-step][data-type=CANCELLED]").WaitForAsync();
        Assert.Equal(0, await page.GetByTestId("task-cancel").CountAsync());
        Assert.Equal("cancelled", (await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/tasks/{id}")).GetProperty("status").GetString());
        // The cancel route now refuses it with the 409 the page would have said.
        using var again = await _host.Http.PostAsync($"api/v1/tasks/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        await page.GetByTestId("task-crumb").ClickAsync();
        await page.WaitForURLAsync("**/tasks");
        await log.WaitAsync(page.Locator($"[data-task-id={id}] [data-testid=task-status][data-status=cancelled]").WaitForAsync(new() { Timeout = 30_000 }));
        await page.CloseAsync();
    }
}
