using LivePreview.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LivePreview.EndToEnd.Ui;

/// <summary>
/// The dashboard as a person uses it, in Chromium against the real service: create a sandbox, watch
/// its preview start, see an edit hot-update inside the frame, refresh and stop the preview. Markers on
/// the windows tell a hot update from a reload, and the frame's reload from the page's.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class DashboardTests : IAsyncLifetime
{
    private static readonly LocatorAssertionsToBeVisibleOptions Slow = new() { Timeout = 180_000 };
    private LivePreviewHost _host = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private readonly string _shots = Browser.ArtifactsDirectory("ui");

    public async Task InitializeAsync()
    {
        // No crash restarts: a dev server that cannot start fails at once, so the error state is quick to reach.
        _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?> { ["LivePreview:Previews:MaxRestarts"] = "0" });
        (_playwright, _browser) = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task A_sandbox_created_in_the_dashboard_shows_a_preview_that_hot_updates_refreshes_and_stops()
    {
        var page = await _browser.NewPageAsync(new() { ViewportSize = new() { Width = 1440, Height = 900 } });
        await Browser.SignInAsync(page, _host);
        var log = BrowserLog.Attach(page);
        var sockets = new List<string>();
        page.WebSocket += (_, ws) => { lock (sockets) sockets.Add(ws.Url); };

        await page.GotoAsync(_host.BaseUri.ToString());
        await log.WaitAsync(Expect(page.GetByTestId("create-sandbox")).ToBeEnabledAsync());
        await Expect(page.GetByTestId("user-name")).ToHaveTextAsync("admin");
        await Expect(page.GetByTestId("no-sandboxes")).ToBeVisibleAsync();
        await ShotAsync(page, "dashboard");

        await page.GetByTestId("framework-react-vite").ClickAsync();
        await page.GetByTestId("create-sandbox").ClickAsync();
        await page.WaitForURLAsync("**/sandboxes/*", new() { Timeout = 180_000 });
        var id = page.Url.Split('/')[^1];
        await page.EvaluateAsync("() => { window.__dashboardMarker = 'kept'; }");

        await log.WaitAsync(Expect(page.GetByTestId("preview-tab")).ToBeVisibleAsync(Slow));
        await ShotAsync(page, "starting");

        var frame = page.FrameLocator("[data-testid=preview-iframe]");
        await log.WaitAsync(Expect(frame.Locator("h1")).ToContainTextAsync("Hello from", new() { Timeout = 180_000 }));
        var previewUrl = await page.GetByTestId("preview-iframe").GetAttributeAsync("src");
        Assert.StartsWith($"http://5173-{id}.preview.localhost:", previewUrl);
        Assert.Equal("allow-scripts allow-same-origin allow-forms allow-popups", await page.GetByTestId("preview-iframe").GetAttributeAsync("sandbox"));
        await WaitForHmrSocketAsync(page, sockets, previewUrl!);
        await (await FrameAsync(page)).EvaluateAsync("() => { window.__frameMarker = 'kept'; }");
        await ShotAsync(page, "ready");

        var edited = $"Edited in the dashboard test {Guid.NewGuid():N}";
        await EditAppAsync(id, edited);
        await Expect(frame.Locator("h1")).ToContainTextAsync(edited, new() { Timeout = 30_000 });
        Assert.Equal("kept", await (await FrameAsync(page)).EvaluateAsync<string>("() => window.__frameMarker"));
        await ShotAsync(page, "after-edit");

        await page.GetByTestId("preview-refresh").ClickAsync();
        await WaitUntilAsync(async () => await (await FrameAsync(page)).EvaluateAsync<string?>("() => window.__frameMarker ?? null") is null);
        await Expect(frame.Locator("h1")).ToContainTextAsync(edited);
        Assert.Equal("kept", await page.EvaluateAsync<string>("() => window.__dashboardMarker"));

        await page.GetByTestId("preview-stop").ClickAsync();
        await Expect(page.Locator("[data-testid=preview-state][data-state=stopped]")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(page.GetByTestId("preview-start")).ToBeVisibleAsync();
        Assert.Equal("kept", await page.EvaluateAsync<string>("() => window.__dashboardMarker"));
        await ShotAsync(page, "stopped");

        await page.GetByTestId("activity-tab").ClickAsync();
        await Expect(page.Locator("[data-testid=activity-item][data-type=FILE_CHANGED]")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-testid=activity-item][data-type=PREVIEW_STOPPED]")).ToBeVisibleAsync();
        await ShotAsync(page, "activity");

        await page.GetByRole(AriaRole.Link, new() { Name = "Sandboxes" }).First.ClickAsync();
        var row = page.Locator($"[data-testid=sandbox-row][data-sandbox-id={id}]");
        await Expect(row.GetByTestId("preview-status")).ToHaveAttributeAsync("data-status", "stopped");
        await ShotAsync(page, "dashboard-list");
        await row.GetByTestId("sandbox-delete").ClickAsync();
        await row.GetByTestId("sandbox-delete-confirm").ClickAsync();
        await Expect(row).ToHaveCountAsync(0, new() { Timeout = 30_000 });
        await page.CloseAsync();
    }

    [Fact]
    public async Task A_stranger_is_sent_to_sign_in_a_pasted_key_opens_the_dashboard_with_the_users_name_and_sign_out_ends_it()
    {
        var page = await _browser.NewPageAsync(new() { ViewportSize = new() { Width = 1440, Height = 900 } });
        var log = BrowserLog.Attach(page);

        await page.GotoAsync(new Uri(_host.BaseUri, "prototype").ToString());
        await page.WaitForURLAsync("**/login?returnUrl=%2Fprototype");
        await page.GetByTestId("signin-key").FillAsync("lpk_wrong");
        await page.GetByTestId("signin-submit").ClickAsync();
        await Expect(page.GetByTestId("signin-error")).ToContainTextAsync("not a valid API key");
        await ShotAsync(page, "sign-in");
        await page.GetByTestId("signin-key").FillAsync(_host.AdminKey);
        await page.GetByTestId("signin-submit").ClickAsync();
        await page.WaitForURLAsync("**/prototype");
        await log.WaitAsync(Expect(page.GetByTestId("prototype-start")).ToBeEnabledAsync());
        await Expect(page.GetByTestId("user-name")).ToHaveTextAsync("admin");

        await page.GetByTestId("sign-out").ClickAsync();
        await page.WaitForURLAsync("**/login");
        await page.GotoAsync(_host.BaseUri.ToString());
        await page.WaitForURLAsync("**/login?returnUrl=%2F");
        await page.CloseAsync();
    }

    [Fact]
    public async Task An_admin_makes_a_key_on_the_keys_page_sees_it_once_and_revoking_it_there_ends_its_requests()
    {
        var page = await _browser.NewPageAsync(new() { ViewportSize = new() { Width = 1440, Height = 900 } });
        await Browser.SignInAsync(page, _host);
        var log = BrowserLog.Attach(page);
        await log.WaitAsync(Expect(page.GetByTestId("create-sandbox")).ToBeEnabledAsync());

        await page.GetByTestId("nav-keys").ClickAsync();
        await log.WaitAsync(Expect(page.GetByTestId("key-create")).ToBeEnabledAsync());
        await page.GetByTestId("key-user").FillAsync("alice");
        await page.GetByTestId("key-name").FillAsync("e2e");
        await page.GetByTestId("key-create").ClickAsync();
        var secret = (await page.GetByTestId("key-secret").TextContentAsync())!.Trim();
        await ShotAsync(page, "keys");
        using var alice = _host.CreateLoopbackClient();
        alice.BaseAddress = new Uri($"http://127.0.0.1:{_host.Port}/");
        alice.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", secret);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await alice.GetAsync("api/v1/sandboxes")).StatusCode);

        var row = page.Locator("tr", new() { HasText = "e2e" });
        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(row).ToContainTextAsync("revoked");
        await page.ReloadAsync();
        await Expect(page.GetByTestId("key-secret")).ToHaveCountAsync(0);

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await alice.GetAsync("api/v1/sandboxes")).StatusCode);
        await page.CloseAsync();
    }

    [Fact]
    public async Task A_preview_that_cannot_start_says_why_and_Retry_brings_it_back_once_fixed()
    {
        var id = (await _host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        await _host.WaitForPreviewAsync(id);
        var page = await _browser.NewPageAsync(new() { ViewportSize = new() { Width = 1440, Height = 900 } });
        await Browser.SignInAsync(page, _host);
        var log = BrowserLog.Attach(page);
        await page.GotoAsync(new Uri(_host.BaseUri, $"sandboxes/{id}").ToString());
        var frame = page.FrameLocator("[data-testid=preview-iframe]");
        await log.WaitAsync(Expect(frame.Locator("h1")).ToContainTextAsync("Hello from", new() { Timeout = 60_000 }));

        var config = await _host.Http.GetStringAsync($"api/v1/sandboxes/{id}/files/vite.config.mjs");
        await PutAsync(id, "vite.config.mjs", "throw new Error('vite.config.mjs is broken on purpose')\n" + config);
        await page.GetByTestId("preview-stop").ClickAsync();
        await page.GetByTestId("preview-start").ClickAsync();

        await Expect(page.Locator("[data-testid=preview-state][data-state=error]")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Expect(page.GetByTestId("preview-error")).ToContainTextAsync("exited");
        await Expect(page.GetByTestId("preview-logs")).ToContainTextAsync("broken on purpose");
        await ShotAsync(page, "error");

        await PutAsync(id, "vite.config.mjs", config);
        await page.GetByTestId("preview-retry").ClickAsync();
        await log.WaitAsync(Expect(frame.Locator("h1")).ToContainTextAsync("Hello from", new() { Timeout = 60_000 }));
        await page.CloseAsync();
    }

    private async Task EditAppAsync(string id, string text)
    {
        var source = await _host.Http.GetStringAsync($"api/v1/sandboxes/{id}/files/src/App.tsx");
        await PutAsync(id, "src/App.tsx", source.Replace("Hello from", text, StringComparison.Ordinal));
    }

    private async Task PutAsync(string id, string path, string content)
    {
        using var put = await _host.Http.PutAsync($"api/v1/sandboxes/{id}/files/{path}", new StringContent(content));
        put.EnsureSuccessStatusCode();
    }

    /// <summary>The preview's frame as it is now (Refresh replaces it with a new one).</summary>
    private static async Task<IFrame> FrameAsync(IPage page) =>
        await (await page.GetByTestId("preview-iframe").ElementHandleAsync()).ContentFrameAsync()
        ?? throw new InvalidOperationException("The preview iframe has no frame.");

    /// <summary>The HMR client connects after the app's modules run; an edit before that would be missed.</summary>
    private static async Task WaitForHmrSocketAsync(IPage page, List<string> sockets, string previewUrl)
    {
        // The frame opens a grant link (?livepreview_grant=…); the socket goes to the preview's own address.
        var expected = previewUrl.Split('?')[0].Replace("http://", "ws://", StringComparison.Ordinal).TrimEnd('/');
        await WaitUntilAsync(() => { lock (sockets) return Task.FromResult(sockets.Any(s => s.StartsWith(expected, StringComparison.Ordinal))); });
        await page.WaitForTimeoutAsync(300);
    }

    /// <summary>Polls the condition; a frame that is being replaced answers with an error, which counts as "not yet".</summary>
    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition().ContinueWith(t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default))
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not become true within 30 s.");
            await Task.Delay(100);
        }
    }

    private Task ShotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(_shots, $"{name}.png") });
}
