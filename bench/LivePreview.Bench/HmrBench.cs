using System.Diagnostics;
using System.Text.RegularExpressions;
using LivePreview.EndToEnd;
using LivePreview.Tests.Support;
using Microsoft.Playwright;

namespace LivePreview.Bench;

/// <summary>
/// Edit-to-DOM latency of a React Fast Refresh update in headless Chromium, through the proxy and
/// directly against the dev server's own address, on the same sandbox and the same edits.
/// </summary>
/// <remarks>
/// Both pages are open at once (separate browser contexts) and every edit is observed by both, so
/// each edit gives a paired sample and the file watcher's jitter hits both sides alike. Timing is done
/// inside each page on its own clock: right before the PUT, <c>performance.now()</c> is read in both
/// pages (concurrently, the order alternating per edit); a MutationObserver records
/// <c>performance.now()</c> when the new text is in the &lt;h1&gt;. Latency = observed − armed, so
/// it includes the files-API PUT, Vite's watcher, the update message over the HMR WebSocket, the
/// module fetch and React's commit, and none of Playwright's polling.
/// </remarks>
internal sealed partial class HmrBench(Janitor janitor, Report report)
{
    private const string AppFile = "src/App.tsx";
    private const double TargetDifferenceMs = 20;

    /// <summary>Records when the expected text first appears in the h1; survives only as long as the page is not reloaded.</summary>
    private const string ObserverScript = """
        () => {
          window.__lpBench = { seen: {}, expect: null };
          const check = () => {
            const now = performance.now();
            const expect = window.__lpBench.expect;
            if (expect && window.__lpBench.seen[expect] === undefined
                && (document.querySelector('h1')?.textContent ?? '').includes(expect)) {
              window.__lpBench.seen[expect] = now;
            }
          };
          new MutationObserver(check).observe(document.body, { subtree: true, childList: true, characterData: true });
          return true;
        }
        """;

    private const string ArmScript = "m => { window.__lpBench.expect = m; return performance.now(); }";

    public async Task RunAsync(BenchSandbox sandbox, IBrowser browser, int warmUp, int edits, CancellationToken cancellationToken)
    {
        Console.WriteLine($"HMR edit→DOM: {warmUp} warm-up + {edits} edits, observed via the proxy ({sandbox.ProxyUrl}) and directly ({sandbox.DirectUrl}) at once");
        var proxy = await OpenAsync(browser, sandbox.ProxyUrl, cancellationToken);
        var direct = await OpenAsync(browser, sandbox.DirectUrl, cancellationToken);
        var original = await sandbox.ReadFileAsync(AppFile, cancellationToken);
        if (!H1().IsMatch(original))
        {
            throw new InvalidOperationException($"{AppFile} has no <h1>…</h1> to edit.");
        }

        var viaProxy = new List<double>();
        var viaDirect = new List<double>();
        var paired = new List<double>();
        var puts = new List<double>();
        try
        {
            for (var i = 0; i < warmUp + edits; i++)
            {
                var marker = $"LivePreview bench edit {i} {Guid.NewGuid():N}";
                var source = H1().Replace(original, $"<h1>{marker}</h1>", 1);
                var order = i % 2 == 0 ? new[] { proxy, direct } : [direct, proxy];
                var armed = await Task.WhenAll(order.Select(p => p.Page.EvaluateAsync<double>(ArmScript, marker)));
                var putClock = Stopwatch.StartNew();
                await sandbox.WriteFileAsync(AppFile, source, cancellationToken);
                puts.Add(putClock.Elapsed.TotalMilliseconds);
                var seen = await Task.WhenAll(order.Select(p => SeenAsync(p, marker)));
                var latencies = seen.Zip(armed, (s, a) => s - a).ToArray();
                var (proxyMs, directMs) = i % 2 == 0 ? (latencies[0], latencies[1]) : (latencies[1], latencies[0]);
                if (i >= warmUp)
                {
                    viaProxy.Add(proxyMs);
                    viaDirect.Add(directMs);
                    paired.Add(proxyMs - directMs);
                }
                Console.WriteLine($"  edit {i + 1}/{warmUp + edits}{(i < warmUp ? " (warm-up)" : "")}: proxy {Stats.Ms(proxyMs)}, direct {Stats.Ms(directMs)}");
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            }
            foreach (var page in new[] { proxy, direct })
            {
                if (await page.Page.EvaluateAsync<int>("() => window.__lpBenchKept ?? 0") != 1)
                {
                    throw new InvalidOperationException($"{page.Url} reloaded during the edits: that is not HMR.\n{page.Log}");
                }
            }
        }
        finally
        {
            await sandbox.WriteFileAsync(AppFile, original, CancellationToken.None);
            await proxy.Context.CloseAsync();
            await direct.Context.CloseAsync();
        }

        var p50Proxy = Stats.P50(viaProxy);
        var p50Direct = Stats.P50(viaDirect);
        var common = $"n={edits} edits after {warmUp} warm-up, each seen by both pages; in-page performance.now() before the PUT → MutationObserver";
        report.Add(new Row("HMR edit→DOM via proxy (react-vite)", Stats.Ms(p50Proxy), Stats.Ms(Stats.P95(viaProxy)), "—", "—", common));
        report.Add(new Row("HMR edit→DOM direct (react-vite)", Stats.Ms(p50Direct), Stats.Ms(Stats.P95(viaDirect)), "—", "—",
            $"page at the dev server's own address {sandbox.DirectUrl}; files-API PUT alone p50 {Stats.Ms(Stats.P50(puts))}"));
        var difference = p50Proxy - p50Direct;
        report.Add(new Row("HMR proxy − direct (p50)", Stats.SignedMs(difference), "—", "≤ 20 ms", Report.Met(difference <= TargetDifferenceMs),
            $"per-edit paired difference: p50 {Stats.SignedMs(Stats.P50(paired))}, p95 {Stats.SignedMs(Stats.P95(paired))}"));
    }

    private sealed record OpenPage(IBrowserContext Context, IPage Page, string Url, BrowserLog Log);

    private async Task<OpenPage> OpenAsync(IBrowser browser, string url, CancellationToken cancellationToken)
    {
        var context = await browser.NewContextAsync();
        janitor.OnCleanUp(() => context.CloseAsync());
        var page = await context.NewPageAsync();
        var log = BrowserLog.Attach(page);
        var sockets = 0;
        page.WebSocket += (_, _) => Interlocked.Increment(ref sockets);
        await page.GotoAsync(url);
        await log.WaitAsync(page.Locator("h1").WaitForAsync(new() { Timeout = 30_000 }));
        // The HMR client connects after the page's modules ran; an edit before that would be missed.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Volatile.Read(ref sockets) == 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No HMR WebSocket was opened by {url}.\n{log}");
            }
            await page.WaitForTimeoutAsync(50);
        }
        await page.EvaluateAsync(ObserverScript);
        await page.EvaluateAsync("() => { window.__lpBenchKept = 1; }");
        await page.WaitForTimeoutAsync(300);
        return new OpenPage(context, page, url, log);
    }

    private static async Task<double> SeenAsync(OpenPage page, string marker)
    {
        try
        {
            await page.Page.WaitForFunctionAsync("m => window.__lpBench?.seen[m] !== undefined", marker,
                new() { PollingInterval = 20, Timeout = 15_000 });
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{page.Url} did not show the edit within 15 s.\n{page.Log}", ex);
        }
        return await page.Page.EvaluateAsync<double>("m => window.__lpBench.seen[m]", marker);
    }

    [GeneratedRegex("<h1>.*?</h1>", RegexOptions.Singleline)]
    private static partial Regex H1();
}
