using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Support;
using Microsoft.Playwright;

namespace LivePreview.EndToEnd;

/// <summary>
/// Private previews in Chromium: without a grant the 401 page; a grant link inside an iframe of the dashboard's origin
/// (the preview is then a third party: the cookie is SameSite=None; Secure; Partitioned, on http *.localhost too) loads
/// the app and its HMR socket; once the grant is revoked or expired, pages and new HMR sockets are refused; a share
/// link works in a fresh browser; and the dev server (a Vite plugin that records every request's headers) never
/// receives an Authorization header or a LivePreview cookie.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class PreviewGrantsInBrowserTests() : HostAndBrowserTest(new Dictionary<string, string?> { ["LivePreview:Grants:MinLifetime"] = "00:00:01" })
{
    [Fact]
    public async Task A_private_preview_is_the_401_page_until_a_grant_opens_it_in_the_dashboards_frame_with_hmr_and_revoking_closes_it()
    {
        var (id, previewId, url) = await CreateAsync();
        var stranger = await Chromium.NewPageAsync();
        var refused = await stranger.GotoAsync(url);
        Assert.Equal(401, refused!.Status);
        Assert.Contains("This preview is private", await stranger.Locator("h1").InnerTextAsync());

        var grant = await Host.CreateGrantAsync(previewId);
        var (page, frame, log) = await OpenInDashboardFrameAsync(grant.GetProperty("url").GetString()!);
        Assert.Equal(url, frame.Url);
        var sockets = new List<string>();
        page.WebSocket += (_, ws) => { lock (sockets) sockets.Add(ws.Url); };
        await frame.EvaluateAsync("() => { window.__kept = 'yes'; }");
        var token = await HmrTokenAsync(frame);
        Assert.Equal("open", await NewHmrSocketAsync(frame, token));

        await EditHeadingAsync(id, "Granted and hot");
        await log.WaitAsync(frame.WaitForFunctionAsync("() => document.querySelector('h1')?.textContent.includes('Granted and hot')", null, new() { Timeout = 30_000 }));
        Assert.Equal("yes", await frame.EvaluateAsync<string>("() => window.__kept"));

        (await Host.Http.DeleteAsync($"api/v1/preview/{previewId}/grants/{grant.GetProperty("id").GetString()}")).EnsureSuccessStatusCode();

        Assert.Equal(401, await frame.EvaluateAsync<int>("() => fetch('/src/App.tsx').then(r => r.status)"));
        Assert.Equal("refused", await NewHmrSocketAsync(frame, token));
        await page.CloseAsync();
        await stranger.CloseAsync();
    }

    [Fact]
    public async Task An_expired_grant_is_refused_for_pages_and_new_hmr_sockets()
    {
        var (_, previewId, _) = await CreateAsync();
        var grant = await Host.CreateGrantAsync(previewId, expiresInSeconds: 4);
        var (page, frame, _) = await OpenInDashboardFrameAsync(grant.GetProperty("url").GetString()!);
        var token = await HmrTokenAsync(frame);
        var expiresAt = grant.GetProperty("expires_at").GetDateTimeOffset();

        while (DateTimeOffset.UtcNow <= expiresAt.AddMilliseconds(300))
        {
            await Task.Delay(200);
        }

        Assert.Equal(401, await frame.EvaluateAsync<int>("() => fetch('/').then(r => r.status)"));
        Assert.Equal("refused", await NewHmrSocketAsync(frame, token));
        await page.CloseAsync();
    }

    [Fact]
    public async Task A_share_link_opens_the_preview_in_a_fresh_browser_and_leaves_no_token_in_the_address_bar()
    {
        var (_, previewId, url) = await CreateAsync();
        var share = await Host.CreateGrantAsync(previewId, share: true);

        await using var fresh = await Chromium.NewContextAsync();
        var page = await fresh.NewPageAsync();
        var log = BrowserLog.Attach(page);
        await page.GotoAsync(share.GetProperty("url").GetString()!);
        await log.WaitAsync(page.Locator("h1").WaitForAsync());

        Assert.StartsWith("Hello from", await page.Locator("h1").InnerTextAsync());
        Assert.Equal(url, page.Url);
        var cookies = await fresh.CookiesAsync();
        var cookie = Assert.Single(cookies, c => c.Name == "livepreview_grant");
        Assert.True(cookie.HttpOnly);
        Assert.True(cookie.Secure);
        Assert.Equal(SameSiteAttribute.None, cookie.SameSite);
        Assert.Equal(new Uri(url).Host, cookie.Domain);
        // The redirect replaced the link: going back leaves the preview without ever showing the token again.
        await page.GoBackAsync();
        Assert.DoesNotContain("livepreview_grant", page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_dev_server_never_receives_an_authorization_header_or_a_livepreview_cookie()
    {
        var (id, previewId, url) = await CreateAsync();
        await PutAsync(id, "vite.config.mjs", RecordingConfig);
        await WaitForRecordingAsync(id, url);
        var grant = await Host.CreateGrantAsync(previewId);

        // The browser sends the admin's key with every request too (opening previews by key is allowed; forwarding it is not).
        await using var context = await Chromium.NewContextAsync(new() { ExtraHTTPHeaders = new Dictionary<string, string> { ["Authorization"] = $"Bearer {Host.AdminKey}" } });
        var page = await context.NewPageAsync();
        var sockets = 0;
        page.WebSocket += (_, _) => Interlocked.Increment(ref sockets);
        var log = BrowserLog.Attach(page);
        await page.GotoAsync(grant.GetProperty("url").GetString()!);
        await log.WaitAsync(page.Locator("h1").WaitForAsync());
        await log.WaitAsync(page.WaitForFunctionAsync("() => performance.getEntriesByType('resource').length > 3"));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Volatile.Read(ref sockets) == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var recorded = await Host.Http.GetStringAsync($"api/v1/sandboxes/{id}/files/request-headers.log");
        var lines = recorded.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(lines, l => l.GetProperty("kind").GetString() == "upgrade");
        Assert.Contains(lines, l => l.GetProperty("url").GetString()!.StartsWith("/src/", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.False(l.GetProperty("headers").TryGetProperty("authorization", out _), l.ToString()));
        Assert.DoesNotContain("livepreview", recorded.Replace("livepreview/client.js", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("lpg_", recorded, StringComparison.Ordinal);
        Assert.DoesNotContain("lpk_", recorded, StringComparison.Ordinal);
    }

    private async Task<(string Id, string PreviewId, string Url)> CreateAsync()
    {
        var id = (await Host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        var preview = await Host.WaitForPreviewAsync(id);
        return (id, preview.GetProperty("id").GetString()!, preview.GetProperty("preview_url").GetString()!);
    }

    /// <summary>A page on the dashboard's origin (signed in) that frames the grant link as the Preview tab does.</summary>
    private async Task<(IPage Page, IFrame Frame, BrowserLog Log)> OpenInDashboardFrameAsync(string grantUrl)
    {
        var page = await Chromium.NewPageAsync();
        await Browser.SignInAsync(page, Host);
        var log = BrowserLog.Attach(page);
        await page.EvaluateAsync("""
            u => { const f = document.createElement('iframe'); f.id = 'grant-frame'; f.src = u;
                   f.sandbox = 'allow-scripts allow-same-origin allow-forms allow-popups'; document.body.prepend(f); }
            """, grantUrl);
        await log.WaitAsync(page.FrameLocator("#grant-frame").Locator("h1").WaitForAsync(new() { Timeout = 30_000 }));
        var frame = await (await page.QuerySelectorAsync("#grant-frame"))!.ContentFrameAsync() ?? throw new InvalidOperationException("no frame");
        return (page, frame, log);
    }

    private static async Task<string> HmrTokenAsync(IFrame frame) =>
        await frame.EvaluateAsync<string>("() => fetch('/@vite/client').then(r => r.text()).then(t => /wsToken = \"([^\"]+)\"/.exec(t)[1])");

    /// <summary>A new socket as Vite's client opens it: "open", or "refused" when the handshake failed.</summary>
    private static Task<string> NewHmrSocketAsync(IFrame frame, string token) =>
        frame.EvaluateAsync<string>("""
            t => new Promise(resolve => {
              const ws = new WebSocket(`ws://${location.host}/?token=${t}`, 'vite-hmr');
              ws.onopen = () => { ws.close(); resolve('open'); };
              ws.onerror = () => resolve('refused');
            })
            """, token);

    private async Task EditHeadingAsync(string id, string text)
    {
        var source = await Host.Http.GetStringAsync($"api/v1/sandboxes/{id}/files/src/App.tsx");
        await PutAsync(id, "src/App.tsx", source.Replace("Hello from", text, StringComparison.Ordinal));
    }

    private async Task PutAsync(string id, string path, string content)
    {
        using var put = await Host.Http.PutAsync($"api/v1/sandboxes/{id}/files/{path}", new StringContent(content));
        put.EnsureSuccessStatusCode();
    }

    /// <summary>Vite restarts itself when its config changes; the plugin is active once a request shows up in the log.</summary>
    private async Task WaitForRecordingAsync(string id, string url)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using (var page = await Host.Http.GetAsync(url + "src/main.tsx"))
            {
            }
            using var log = await Host.Http.GetAsync($"api/v1/sandboxes/{id}/files/request-headers.log");
            if (log.IsSuccessStatusCode)
            {
                return;
            }
            Assert.True(DateTime.UtcNow < deadline, "The recording plugin never wrote its log.");
            await Task.Delay(250);
        }
    }

    /// <summary>The sandbox's own code records what reaches it: every request's and upgrade's headers, one JSON line each.</summary>
    private const string RecordingConfig = """
        import { defineConfig } from 'vite'
        import react from '@vitejs/plugin-react'
        import fs from 'node:fs'
        import path from 'node:path'

        const file = path.resolve('request-headers.log')
        const record = (kind, req) => fs.appendFileSync(file, JSON.stringify({ kind, url: req.url, headers: req.headers }) + '\n')

        export default defineConfig({
          plugins: [react(), {
            name: 'record-request-headers',
            configureServer(server) {
              server.httpServer?.prependListener('upgrade', req => record('upgrade', req))
              server.middlewares.use((req, _res, next) => { record('http', req); next() })
            },
          }],
          server: { watch: { ignored: ['**/request-headers.log'] } },
        })
        """;
}
