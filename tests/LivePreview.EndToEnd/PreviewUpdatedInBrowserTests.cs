using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Support;
using Microsoft.Playwright;

namespace LivePreview.EndToEnd;

/// <summary>
/// Edit-to-paint as the browser sees it: a real page through the proxy, an edit through the files API, and the
/// injected client script's report of the applied, painted update becoming one PREVIEW_UPDATED event — one, though
/// two tabs painted it — whose figures are plausible: the browser's span (update received → painted) lies inside the
/// server's (edit on disk → report arrived), and it names the edit it painted. Next.js is not here: its hook
/// (<c>__NEXT_HMR_LATENCY_CB</c>) is a debugging aid that did not fire for every edit of a server component.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class PreviewUpdatedInBrowserTests : HostAndBrowserTest
{
    [Theory]
    [InlineData("react-vite", "src/App.tsx")]
    [InlineData("vue-vite", "src/App.vue")]
    public async Task An_edit_painted_in_two_tabs_is_one_preview_updated_event_with_the_edit_to_paint_figures(string framework, string file)
    {
        // Sandboxes first, the browser after: a veth pair appearing under a loading page aborts it (ERR_NETWORK_CHANGED).
        var id = (await Host.CreateSandboxAsync(framework)).GetProperty("id").GetString()!;
        await Host.WaitForPreviewAsync(id);
        var open = await Host.OpenPreviewUrlAsync(id);
        var context = await Chromium.NewContextAsync();
        var tabs = new[] { await OpenAsync(context, open), await OpenAsync(context, open) };

        var marker = $"Painted through LivePreview {Guid.NewGuid():N}";
        var reports = tabs.Select(t => t.Page.WaitForResponseAsync(r => r.Url.EndsWith("/__livepreview/updated", StringComparison.Ordinal), new() { Timeout = 60_000 })).ToList();
        var source = await Host.Http.GetStringAsync($"api/v1/sandboxes/{id}/files/{file}");
        using (var put = await Host.Http.PutAsync($"api/v1/sandboxes/{id}/files/{file}", new StringContent(source.Replace("Hello from", marker, StringComparison.Ordinal))))
        {
            put.EnsureSuccessStatusCode();
        }
        foreach (var tab in tabs)
        {
            await tab.Log.WaitAsync(tab.Page.WaitForFunctionAsync("m => document.querySelector('h1')?.textContent.includes(m)", marker, new() { Timeout = 60_000 }));
        }
        Assert.All(await Task.WhenAll(reports), r => Assert.Equal(204, r.Status));

        var edit = (await EventsAsync(id, "FILE_CHANGED")).Last(e => e.GetProperty("payload").GetProperty("path").GetString() == file);
        var updated = Assert.Single(await EventsAsync(id, "PREVIEW_UPDATED"));
        var p = updated.GetProperty("payload");
        Assert.Equal("hmr", p.GetProperty("kind").GetString());
        Assert.Equal(edit.GetProperty("sequence").GetInt64(), p.GetProperty("edit").GetProperty("sequence").GetInt64());
        Assert.Equal(file, p.GetProperty("edit").GetProperty("path").GetString());
        var applied = p.GetProperty("received_to_applied_ms").GetDouble();
        var painted = p.GetProperty("received_to_painted_ms").GetDouble();
        var editToReport = p.GetProperty("edit_to_report_ms").GetDouble();
        Assert.InRange(applied, 0, painted);
        Assert.InRange(painted, 1, editToReport);
        Assert.InRange(editToReport, painted, 60_000);
        Assert.Contains("/" + file, p.GetProperty("paths").EnumerateArray().Select(x => x.GetString()));
        Assert.All(tabs, t => Assert.Equal("kept", t.Page.EvaluateAsync<string>("() => window.__livepreviewMarker").Result));
        await context.CloseAsync();
        await Host.Http.DeleteAsync($"api/v1/sandboxes/{id}");
    }

    private static async Task<(IPage Page, BrowserLog Log)> OpenAsync(IBrowserContext context, string url)
    {
        var page = await context.NewPageAsync();
        var log = BrowserLog.Attach(page);
        var socket = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        page.WebSocket += (_, _) => socket.TrySetResult();
        await page.GotoAsync(url);
        await log.WaitAsync(page.Locator("h1").WaitForAsync());
        await socket.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await page.EvaluateAsync("() => { window.__livepreviewMarker = 'kept'; }");
        // The HMR client subscribes once its socket is open; the client script hooks Vite after the page's modules ran.
        await page.WaitForFunctionAsync("() => document.readyState === 'complete'", null, new() { Timeout = 60_000 });
        return (page, log);
    }

    private async Task<List<JsonElement>> EventsAsync(string sandboxId, string type)
    {
        var events = await Host.Http.GetFromJsonAsync<JsonElement>($"api/v1/events?sandbox_id={sandboxId}&types={type}&limit=1000");
        return [.. events.GetProperty("events").EnumerateArray()];
    }
}
