using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LivePreview.EndToEnd.Ui;

/// <summary>
/// The warm start as the user sees it (issue 15): with a pooled react-vite sandbox ready, clicking Start on the
/// prototype page puts the app itself on screen inside the preview's iframe, from the pooled sandbox (not a 200 of the
/// page, nor a fresh cold one), after the host walked the member's module graph. bench/LivePreview.PaintBench times the same path.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class WarmStartPaintTests() : HostAndBrowserTest(new Dictionary<string, string?>
{
    ["LivePreview:WarmPool:Size"] = "1",
    ["LivePreview:WarmPool:Frameworks:vue-vite:Size"] = "0",
    ["LivePreview:WarmPool:Frameworks:next:Size"] = "0",
    // The member's module graph is walked before it counts as ready (off by default): the walk must leave it paintable.
    ["LivePreview:WarmPool:WarmModuleGraph"] = "true",
    // What the paint bench reads: the proxy's timings in the page's Resource Timing.
    ["LivePreview:Previews:ServerTiming"] = "true",
})
{
    [Fact]
    public async Task Clicking_Start_with_a_ready_pool_member_paints_that_members_app_inside_the_iframe()
    {
        var pooled = await WaitForReadyMemberAsync();
        var page = await Chromium.NewPageAsync(new() { ViewportSize = new() { Width = 1440, Height = 900 } });
        await Browser.SignInAsync(page, Host);
        var log = BrowserLog.Attach(page);
        await page.GotoAsync(new Uri(Host.BaseUri, "prototype").ToString());
        await log.WaitAsync(Expect(page.GetByTestId("prototype-start")).ToBeEnabledAsync());
        await page.GetByTestId("prototype-framework-react-vite").ClickAsync();
        await page.GetByTestId("prototype-agent").SelectOptionAsync("replay");
        // The frame is made once, from the session answer: following the new session's address must not replace it.
        var grantLoads = 0;
        page.Request += (_, r) =>
        {
            if (r.Url.Contains("livepreview_grant=", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref grantLoads);
            }
        };

        await page.GetByTestId("prototype-start").ClickAsync();

        var heading = page.FrameLocator("[data-testid=preview-iframe]").Locator("#root h1");
        await log.WaitAsync(Expect(heading).ToBeVisibleAsync(new() { Timeout = 60_000 }));
        await Expect(heading).ToContainTextAsync("Hello from");
        // Visible is laid out; a frame produced after it is painted. The frame is the preview's origin, reached through Playwright.
        var frame = page.Frames.Single(f => f.Url.Contains(".preview.localhost", StringComparison.Ordinal));
        var height = await frame.EvaluateAsync<double>("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(document.querySelector('#root h1').getBoundingClientRect().height))))");
        Assert.True(height > 0, $"The heading has no height ({height}): it is in the DOM but not drawn.");
        Assert.Equal(pooled, await page.GetByTestId("prototype-session").GetAttributeAsync("data-sandbox-id"));
        // The session view above is rendered after the replay of the session's events: by now the page has followed it.
        await Expect(page.GetByTestId("prototype-prompt")).ToBeVisibleAsync();
        Assert.Equal(1, Volatile.Read(ref grantLoads));
        var timings = await frame.EvaluateAsync<string[]>("""
            () => [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource').filter(r => r.name.includes('/src/App.tsx'))]
                .map(r => r.serverTiming.map(s => s.name).join(','))
            """);
        Assert.Equal(["lp-proxy,lp-upstream,lp-inject", "lp-proxy,lp-upstream"], timings);
        await page.CloseAsync();
    }

    /// <summary>The id of the ready pool member (it is the only one: the pool holds one react-vite).</summary>
    private async Task<string> WaitForReadyMemberAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            last = await Host.Http.GetFromJsonAsync<JsonElement>("api/v1/pool");
            var react = last.GetProperty("frameworks").EnumerateArray().FirstOrDefault(f => f.GetProperty("framework").GetString() == "react-vite");
            if (react.ValueKind == JsonValueKind.Object && react.GetProperty("ready").GetInt32() >= 1)
            {
                return react.GetProperty("members").EnumerateArray()
                    .Single(m => m.GetProperty("state").GetString() == "ready").GetProperty("sandbox_id").GetString()!;
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"No pool member became ready within 4 minutes. Last: {last}");
    }
}
