using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Support;
using Microsoft.Playwright;

namespace LivePreview.EndToEnd;

/// <summary>
/// The report endpoint's origin rule, in a real browser: the injected client script's reports arrive
/// (Chromium sends the preview's Origin and JSON), while a page on another origin cannot post one,
/// neither as a CORS request nor as a "simple" text/plain request that needs no preflight.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class ClientReportsInBrowserTests : HostAndBrowserTest
{
    [Fact]
    public async Task The_injected_script_reports_from_its_own_page_and_another_origin_cannot_forge_a_report()
    {
        var id = (await Host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        var url = (await Host.WaitForPreviewAsync(id)).GetProperty("preview_url").GetString()!;
        var page = await Chromium.NewPageAsync();
        var console = BrowserLog.Attach(page);

        await page.GotoAsync(new Uri(Host.BaseUri, "api/v1/sandboxes").ToString());
        await page.EvaluateAsync("""
            async u => {
              await fetch(u, { method: 'POST', mode: 'no-cors', body: JSON.stringify({ kind: 'error', message: 'forged-simple' }), headers: { 'content-type': 'text/plain' } });
              await fetch(u, { method: 'POST', body: JSON.stringify({ kind: 'error', message: 'forged-cors' }), headers: { 'content-type': 'application/json' } }).catch(() => {});
            }
            """, url + "__livepreview/report");
        await page.GotoAsync(await Host.OpenPreviewUrlAsync(id));
        await console.WaitAsync(page.Locator("h1").WaitForAsync());
        await page.EvaluateAsync("() => console.error('genuine-report-from-the-page')");

        var messages = await WaitForReportAsync(id, "genuine-report-from-the-page");
        Assert.DoesNotContain(messages, m => m.Contains("forged", StringComparison.Ordinal));
        await page.CloseAsync();
        await Host.Http.DeleteAsync($"api/v1/sandboxes/{id}");
    }

    /// <summary>Polls the stored PREVIEW_CLIENT_REPORT events until one carries <paramref name="marker"/>; returns every message stored by then.</summary>
    private async Task<List<string>> WaitForReportAsync(string sandboxId, string marker)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<string> messages = [];
        while (DateTime.UtcNow < deadline && !messages.Any(m => m.Contains(marker, StringComparison.Ordinal)))
        {
            await Task.Delay(100);
            var events = await Host.Http.GetFromJsonAsync<JsonElement>($"api/v1/events?sandbox_id={sandboxId}&types=PREVIEW_CLIENT_REPORT&limit=1000");
            messages = [.. events.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("payload").GetProperty("message").GetString() ?? "")];
        }
        Assert.Contains(messages, m => m.Contains(marker, StringComparison.Ordinal));
        return messages;
    }
}
