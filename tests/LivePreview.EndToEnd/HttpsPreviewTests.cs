using LivePreview.Tests.Support;
using Microsoft.Playwright;

namespace LivePreview.EndToEnd;

/// <summary>
/// A deployment with TLS, as a browser meets it: the service itself serves https (HTTP/2 by ALPN), previews are
/// <c>https://{port}-{id}.preview.localhost</c>, and Vite's HMR client — which picks wss from the page's protocol —
/// connects through the proxy over TLS (a WebSocket over HTTP/2 when the browser offers it) and hot-updates the page.
/// Chromium trusts only this run's certificate (pinned by its public key), so a plain-http fallback cannot pass.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class HttpsPreviewTests : IAsyncLifetime
{
    private readonly TestCertificate _certificate = TestCertificate.Create();
    private IPlaywright _playwright = null!;
    private IBrowser _chromium = null!;
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await LivePreviewHost.StartAsync(tls: _certificate);
        (_playwright, _chromium) = await Browser.LaunchAsync([_certificate.ChromiumSwitch]);
    }

    public async Task DisposeAsync()
    {
        await _chromium.DisposeAsync();
        _playwright.Dispose();
        await _host.DisposeAsync();
        _certificate.Dispose();
    }

    [Fact]
    public async Task A_preview_over_https_loads_over_http2_and_hot_updates_through_a_wss_socket_without_a_reload()
    {
        var id = (await _host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        var url = (await _host.WaitForPreviewAsync(id)).GetProperty("preview_url").GetString()!;
        Assert.StartsWith($"https://5173-{id}.preview.localhost:{_host.Port}/", url);

        var page = await _chromium.NewPageAsync();
        var sockets = new List<string>();
        page.WebSocket += (_, ws) => sockets.Add(ws.Url);
        var console = BrowserLog.Attach(page);
        await page.GotoAsync(await _host.OpenPreviewUrlAsync(id));
        Assert.Equal(url, page.Url);
        await console.WaitAsync(page.Locator("h1").WaitForAsync());
        Assert.StartsWith("Hello from", await page.Locator("h1").InnerTextAsync());
        Assert.Equal("h2", await page.EvaluateAsync<string>("() => performance.getEntriesByType('navigation')[0].nextHopProtocol"));
        Assert.True(await page.EvaluateAsync<bool>("() => window.isSecureContext"));
        await page.EvaluateAsync("() => { window.__livepreviewMarker = 'kept'; }");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (sockets.Count == 0 && DateTime.UtcNow < deadline)
        {
            await page.WaitForTimeoutAsync(100);
        }
        Assert.NotEmpty(sockets);
        await page.WaitForTimeoutAsync(300);

        var marker = $"Edited over TLS {Guid.NewGuid():N}";
        var source = await _host.Http.GetStringAsync($"api/v1/sandboxes/{id}/files/src/App.tsx");
        using (var put = await _host.Http.PutAsync($"api/v1/sandboxes/{id}/files/src/App.tsx", new StringContent(source.Replace("Hello from", marker, StringComparison.Ordinal))))
        {
            put.EnsureSuccessStatusCode();
        }

        await page.WaitForFunctionAsync("m => document.querySelector('h1')?.textContent.includes(m)", marker, new() { Timeout = 30_000 });
        Assert.Equal("kept", await page.EvaluateAsync<string>("() => window.__livepreviewMarker"));
        Assert.All(sockets, s => Assert.StartsWith($"wss://5173-{id}.preview.localhost:{_host.Port}/", s));
        // The modules came over the same TLS connection kind as the page, not a downgrade.
        var protocols = await page.EvaluateAsync<string[]>("() => [...new Set(performance.getEntriesByType('resource').map(r => r.nextHopProtocol))]");
        Assert.Equal(["h2"], protocols);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ArtifactsDirectory("hmr"), "react-vite-https.png") });
        await page.CloseAsync();
    }
}
