using LivePreview.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LivePreview.EndToEnd.Ui;

/// <summary>
/// The dashboard gets its preview grants by itself: the Preview tab frames a short-lived grant and renews it before
/// it ends without reloading the frame (here every 6 s, renewed at 4 s); the Share menu makes, copies and revokes
/// share links that a fresh browser can open.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class PreviewTabGrantTests() : HostAndBrowserTest(new Dictionary<string, string?>
{
    ["LivePreview:Grants:MinLifetime"] = "00:00:01",
    ["LivePreview:Grants:DashboardLifetime"] = "00:00:06",
})
{
    [Fact]
    public async Task The_preview_tab_renews_its_grant_before_it_ends_and_the_frame_keeps_working_without_a_reload()
    {
        var id = (await Host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        await Host.WaitForPreviewAsync(id);
        var page = await Chromium.NewPageAsync();
        await Browser.SignInAsync(page, Host);
        var log = BrowserLog.Attach(page);
        await page.GotoAsync(new Uri(Host.BaseUri, $"sandboxes/{id}").ToString());
        await log.WaitAsync(page.FrameLocator("[data-testid=preview-iframe]").Locator("h1").WaitForAsync(new() { Timeout = 60_000 }));
        var firstLink = (await page.GetByTestId("preview-iframe").GetAttributeAsync("src"))!;
        var frame = await (await page.GetByTestId("preview-iframe").ElementHandleAsync()).ContentFrameAsync() ?? throw new InvalidOperationException("no frame");
        await frame.EvaluateAsync("() => { window.__kept = 'yes'; }");
        var firstEnds = DateTimeOffset.UtcNow.AddSeconds(6);

        await log.WaitAsync(Expect(page.GetByTestId("preview-grant-renewal")).ToHaveCountAsync(1, new() { Timeout = 30_000 }));
        while (DateTimeOffset.UtcNow <= firstEnds.AddSeconds(1))
        {
            await Task.Delay(200);
        }

        Assert.Equal(firstLink, await page.GetByTestId("preview-iframe").GetAttributeAsync("src"));
        Assert.Equal("yes", await frame.EvaluateAsync<string>("() => window.__kept"));
        Assert.Equal(200, await frame.EvaluateAsync<int>("() => fetch('/src/App.tsx').then(r => r.status)"));
        using var anonymous = Host.CreateLoopbackClient(useCookies: false);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await anonymous.GetAsync(firstLink)).StatusCode);
        // The frame's HMR socket outlived the first grant (the renewal took over): an edit still hot-updates, no reload.
        var source = await Host.Http.GetStringAsync($"api/v1/sandboxes/{id}/files/src/App.tsx");
        (await Host.Http.PutAsync($"api/v1/sandboxes/{id}/files/src/App.tsx", new StringContent(source.Replace("Hello from", "Renewed and hot", StringComparison.Ordinal)))).EnsureSuccessStatusCode();
        await log.WaitAsync(frame.WaitForFunctionAsync("() => document.querySelector('h1')?.textContent.includes('Renewed and hot')", null, new() { Timeout = 30_000 }));
        Assert.Equal("yes", await frame.EvaluateAsync<string>("() => window.__kept"));
        await page.CloseAsync();
    }

    [Fact]
    public async Task The_share_menu_makes_a_link_a_fresh_browser_can_open_and_revoking_it_closes_it()
    {
        var id = (await Host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        await Host.WaitForPreviewAsync(id);
        var page = await Chromium.NewPageAsync();
        await Browser.SignInAsync(page, Host);
        var log = BrowserLog.Attach(page);
        await page.GotoAsync(new Uri(Host.BaseUri, $"sandboxes/{id}").ToString());
        await log.WaitAsync(page.FrameLocator("[data-testid=preview-iframe]").Locator("h1").WaitForAsync(new() { Timeout = 60_000 }));

        await page.GetByTestId("preview-share").ClickAsync();
        await page.GetByTestId("share-expiry").SelectOptionAsync("86400");
        await page.GetByTestId("share-create").ClickAsync();
        await log.WaitAsync(Expect(page.GetByTestId("share-link")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("livepreview_grant=lpg_")));
        var link = await page.GetByTestId("share-link").InputValueAsync();
        await Expect(page.GetByTestId("share-item")).ToHaveCountAsync(1);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ArtifactsDirectory("ui"), "share-menu.png") });

        await using (var colleague = await Chromium.NewContextAsync())
        {
            var theirs = await colleague.NewPageAsync();
            await theirs.GotoAsync(link);
            await theirs.Locator("h1").WaitForAsync();
            Assert.StartsWith("Hello from", await theirs.Locator("h1").InnerTextAsync());
        }

        await page.GetByTestId("share-revoke").ClickAsync();
        await Expect(page.GetByTestId("share-item")).ToHaveCountAsync(0);
        await using var late = await Chromium.NewContextAsync();
        var refused = await (await late.NewPageAsync()).GotoAsync(link);
        Assert.Equal(401, refused!.Status);
        await page.CloseAsync();
    }
}
