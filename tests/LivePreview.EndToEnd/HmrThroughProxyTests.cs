using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Support;
using Microsoft.Playwright;

namespace LivePreview.EndToEnd;

/// <summary>
/// The core promise, in a real browser: the preview loads through our proxy and a file edit shows up
/// without a full reload. The dev server's own port is not reachable from the browser (it listens
/// inside the sandbox's network namespace), so Vite's direct-port fallback cannot hide a broken proxy.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class HmrThroughProxyTests : HostAndBrowserTest
{
    [Theory]
    [InlineData("react-vite", "src/App.tsx", 5173)]
    [InlineData("vue-vite", "src/App.vue", 5173)]
    [InlineData("next", "app/page.tsx", 3000)]
    public async Task An_edit_through_the_file_api_hot_updates_the_page_through_the_proxy_without_a_reload(string framework, string file, int port)
    {
        var id = (await Host.CreateSandboxAsync(framework)).GetProperty("id").GetString()!;
        var url = (await Host.WaitForPreviewAsync(id)).GetProperty("preview_url").GetString()!;
        Assert.StartsWith($"http://{port}-{id}.preview.localhost:", url);

        var page = await Chromium.NewPageAsync();
        var sockets = new List<string>();
        page.WebSocket += (_, ws) => sockets.Add(ws.Url);
        var console = BrowserLog.Attach(page);
        await page.GotoAsync(await Host.OpenPreviewUrlAsync(id));
        Assert.Equal(url, page.Url);
        await console.WaitAsync(page.Locator("h1").WaitForAsync());
        Assert.StartsWith("Hello from", await page.Locator("h1").InnerTextAsync());
        await page.EvaluateAsync("() => { window.__livepreviewMarker = 'kept'; }");
        await WaitForHmrSocketAsync(page, sockets, url);

        var marker = $"Edited through LivePreview {Guid.NewGuid():N}";
        var source = await Host.Http.GetStringAsync($"api/v1/sandboxes/{id}/files/{file}");
        using (var put = await Host.Http.PutAsync($"api/v1/sandboxes/{id}/files/{file}", new StringContent(source.Replace("Hello from", marker, StringComparison.Ordinal))))
        {
            put.EnsureSuccessStatusCode();
        }

        await page.WaitForFunctionAsync("m => document.querySelector('h1')?.textContent.includes(m)", marker, new() { Timeout = 30_000 });
        Assert.Equal("kept", await page.EvaluateAsync<string>("() => window.__livepreviewMarker"));
        Assert.All(sockets, s => Assert.StartsWith(url.Replace("http://", "ws://", StringComparison.Ordinal).TrimEnd('/'), s));
        Assert.False(await page.EvaluateAsync<bool>(
            "p => fetch(`http://localhost:${p}/`, { mode: 'no-cors' }).then(() => true, () => false)", port), "the dev server's own port must not be reachable");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ArtifactsDirectory("hmr"), $"{framework}.png") });
        await page.CloseAsync();
        await Host.Http.DeleteAsync($"api/v1/sandboxes/{id}");
    }

    /// <summary>The HMR client connects after the page's modules run; edits before that would be missed.</summary>
    private static async Task WaitForHmrSocketAsync(IPage page, List<string> sockets, string url)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (sockets.Count == 0 && DateTime.UtcNow < deadline)
        {
            await page.WaitForTimeoutAsync(100);
        }
        Assert.True(sockets.Count > 0, $"No HMR WebSocket was opened by {url}");
        await page.WaitForTimeoutAsync(300);
    }
}
