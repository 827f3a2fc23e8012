using LivePreview.Tests.Support;
using Microsoft.Playwright;

namespace LivePreview.EndToEnd;

/// <summary>
/// Path mode (<c>/preview/{id}/{port}/</c>) for deployments without wildcard DNS: Vite is started
/// with its base set to the prefix, which the proxy does not strip (FIELD-NOTES 6).
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class PathModeTests() : HostAndBrowserTest(new Dictionary<string, string?> { ["LivePreview:Previews:Mode"] = "Path" })
{
    [Fact]
    public async Task A_path_mode_preview_loads_and_hot_updates_under_its_prefix()
    {
        var id = (await Host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        var url = (await Host.WaitForPreviewAsync(id)).GetProperty("preview_url").GetString()!;
        Assert.Equal($"http://localhost:{Host.Port}/preview/{id}/5173/", url);

        var page = await Chromium.NewPageAsync();
        var log = BrowserLog.Attach(page);
        var sockets = new List<string>();
        page.WebSocket += (_, ws) => sockets.Add(ws.Url);
        await page.GotoAsync(await Host.OpenPreviewUrlAsync(id));
        Assert.Equal(url, page.Url);
        await log.WaitAsync(page.Locator("h1").WaitForAsync());
        await page.EvaluateAsync("() => { window.__livepreviewMarker = 'kept'; }");

        var source = await Host.Http.GetStringAsync($"api/v1/sandboxes/{id}/files/src/App.tsx");
        await Host.Http.PutAsync($"api/v1/sandboxes/{id}/files/src/App.tsx", new StringContent(source.Replace("Hello from", "Path mode works", StringComparison.Ordinal)));

        await log.WaitAsync(page.WaitForFunctionAsync("() => document.querySelector('h1')?.textContent.includes('Path mode works')", null, new() { Timeout = 30_000 }));
        Assert.Equal("kept", await page.EvaluateAsync<string>("() => window.__livepreviewMarker"));
        Assert.Contains(sockets, s => s.StartsWith($"ws://localhost:{Host.Port}/preview/{id}/5173/", StringComparison.Ordinal));
        await page.CloseAsync();
        await Host.Http.DeleteAsync($"api/v1/sandboxes/{id}");
    }
}
