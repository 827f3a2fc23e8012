using System.Diagnostics;
using System.Text.RegularExpressions;
using LivePreview.EndToEnd;
using Microsoft.Playwright;

namespace LivePreview.Bench;

/// <summary>
/// Edit-to-DOM latency of a React Fast Refresh update in headless Chromium, through the proxy and
/// directly against the dev server's own address, on the same sandbox, edits alternating between the two.
/// </summary>
/// <remarks>
/// Both pages stay open (separate browser contexts), but only one is live per edit: the other is frozen
/// (CDP Page.setWebLifecycleState) so it neither competes for the CPU nor asks Vite for the updated
/// module at the same moment; when thawed it catches up on the updates it missed before its own turn.
/// Timing is done inside the live page on its own clock: <c>performance.now()</c> is read right before
/// the PUT, and a MutationObserver records <c>performance.now()</c> when the new text is in the
/// &lt;h1&gt;. So the latency includes the files-API PUT, Vite's watcher, the update message over the
/// HMR WebSocket, the module fetch and React's commit, and none of Playwright's polling.
///
/// Chromium aborts in-flight requests with ERR_NETWORK_CHANGED whenever a network interface comes or
/// goes on the host, which every sandbox created or deleted on this machine does (its veth). An edit
/// during which that happened is not counted and is done again, after re-opening the page if needed.
/// </remarks>
internal sealed partial class HmrBench(Janitor janitor, Report report)
{
    private const string AppFile = "src/App.tsx";
    private const double TargetDifferenceMs = 20;
    private const int MaxRedos = 12;
    private static readonly TimeSpan EditTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Records when the expected text first appears in the h1; lives as long as the page is not reloaded.</summary>
    private const string ObserverScript = """
        () => {
          window.__lpBench = { seen: {}, expect: null, kept: 1 };
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

    private enum Path { Proxy, Direct }

    public async Task RunAsync(BenchSandbox sandbox, IBrowser browser, int warmUp, int edits, CancellationToken cancellationToken)
    {
        Console.WriteLine($"HMR edit→DOM: ({warmUp} warm-up + {edits} measured) edits per path, alternating via the proxy ({sandbox.ProxyUrl}) and directly ({sandbox.DirectUrl})");
        var urls = new Dictionary<Path, string> { [Path.Proxy] = sandbox.GrantUrl, [Path.Direct] = sandbox.DirectUrl };
        var pages = new Dictionary<Path, OpenPage>();
        foreach (var path in urls.Keys)
        {
            pages[path] = await OpenAsync(browser, urls[path], cancellationToken);
        }
        var original = await sandbox.ReadFileAsync(AppFile, cancellationToken);
        if (!H1().IsMatch(original))
        {
            throw new InvalidOperationException($"{AppFile} has no <h1>…</h1> to edit.");
        }

        var latencies = new Dictionary<Path, List<double>> { [Path.Proxy] = [], [Path.Direct] = [] };
        var puts = new List<double>();
        var redone = 0;
        var reopened = 0;
        string? lastMarker = null;
        try
        {
            var total = 2 * (warmUp + edits);
            for (var i = 0; i < total; i++)
            {
                // P D D P P D …: each pair has one edit per path, and neither always goes first after a thaw.
                var livePath = (i % 4) is 0 or 3 ? Path.Proxy : Path.Direct;
                var live = pages[livePath];
                await pages[livePath == Path.Proxy ? Path.Direct : Path.Proxy].SetFrozenAsync(true);
                await live.SetFrozenAsync(false);
                var changesBefore = live.NetworkChanges;
                double? latency = null;
                try
                {
                    if (lastMarker is not null)
                    {
                        await live.WaitForTextAsync(lastMarker, EditTimeout);
                    }
                    await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
                    var marker = $"LivePreview bench edit {i} {Guid.NewGuid():N}";
                    var armed = await live.Page.EvaluateAsync<double>(ArmScript, marker);
                    var putClock = Stopwatch.StartNew();
                    await sandbox.WriteFileAsync(AppFile, H1().Replace(original, $"<h1>{marker}</h1>", 1), cancellationToken);
                    puts.Add(putClock.Elapsed.TotalMilliseconds);
                    lastMarker = marker;
                    latency = await live.SeenAsync(marker, EditTimeout) - armed;
                }
                catch (TimeoutException) when (live.NetworkChanges > changesBefore && redone < MaxRedos)
                {
                    // The update's module request was aborted; Vite's client gives up on it. Start this page afresh.
                    await live.Context.CloseAsync();
                    pages[livePath] = await OpenAsync(browser, urls[livePath], cancellationToken);
                    reopened++;
                }
                var measured = i >= 2 * warmUp;
                if (latency is null || live.NetworkChanges > changesBefore)
                {
                    if (++redone > MaxRedos)
                    {
                        throw new InvalidOperationException($"More than {MaxRedos} edits were disturbed by network changes on the host; giving up.");
                    }
                    Console.WriteLine($"  edit {i + 1}/{total} {Name(livePath)}: disturbed by ERR_NETWORK_CHANGED (a host interface came or went); done again");
                    i--;
                    continue;
                }
                if (measured)
                {
                    latencies[livePath].Add(latency.Value);
                }
                Console.WriteLine($"  edit {i + 1}/{total} {Name(livePath)}: {Stats.Ms(latency.Value)}{(measured ? "" : " (warm-up)")}");
            }
            foreach (var page in pages.Values)
            {
                await page.SetFrozenAsync(false);
                if (await page.Page.EvaluateAsync<int>("() => window.__lpBench?.kept ?? 0") != 1)
                {
                    throw new InvalidOperationException($"{page.Url} reloaded during the edits: that is not HMR.\n{page.Log}");
                }
            }
        }
        finally
        {
            await sandbox.WriteFileAsync(AppFile, original, CancellationToken.None);
            foreach (var page in pages.Values)
            {
                await page.Context.CloseAsync();
            }
        }

        var viaProxy = latencies[Path.Proxy];
        var viaDirect = latencies[Path.Direct];
        var p50Proxy = Stats.P50(viaProxy);
        var p50Direct = Stats.P50(viaDirect);
        var disturbed = redone == 0 ? "" : $"; {redone} edits redone after ERR_NETWORK_CHANGED ({reopened} page re-opens)";
        report.Add(new Row("HMR edit→DOM via proxy (react-vite)", Stats.Ms(p50Proxy), Stats.Ms(Stats.P95(viaProxy)), "—", "—",
            $"n={viaProxy.Count} after {warmUp} warm-up, alternating with direct (the idle page frozen); in-page performance.now() before the PUT → MutationObserver{disturbed}"));
        report.Add(new Row("HMR edit→DOM direct (react-vite)", Stats.Ms(p50Direct), Stats.Ms(Stats.P95(viaDirect)), "—", "—",
            $"n={viaDirect.Count}; page at the dev server's own address {sandbox.DirectUrl}; the files-API PUT alone (in both) p50 {Stats.Ms(Stats.P50(puts))}"));
        var difference = p50Proxy - p50Direct;
        report.Add(new Row("HMR proxy − direct (p50)", Stats.SignedMs(difference), "—", "≤ 20 ms", Report.Met(difference <= TargetDifferenceMs),
            $"p95 difference {Stats.SignedMs(Stats.P95(viaProxy) - Stats.P95(viaDirect))}"));
    }

    private static string Name(Path path) => path == Path.Proxy ? "proxy " : "direct";

    /// <summary>Opens the page and waits for its HMR socket; retried when a host network change broke the load.</summary>
    private async Task<OpenPage> OpenAsync(IBrowser browser, string url, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var context = await browser.NewContextAsync();
            janitor.OnCleanUp(() => context.CloseAsync());
            var page = await context.NewPageAsync();
            var open = new OpenPage(context, page, await context.NewCDPSessionAsync(page), url, BrowserLog.Attach(page));
            try
            {
                await open.LoadAsync(cancellationToken);
                return open;
            }
            catch (TimeoutException) when (open.NetworkChanges > 0 && attempt < 3)
            {
                Console.WriteLine($"  opening {url} was disturbed by ERR_NETWORK_CHANGED; trying again");
                await context.CloseAsync();
            }
        }
    }

    private sealed class OpenPage
    {
        private readonly ICDPSession _cdp;
        private int _networkChanges;
        private int _sockets;
        private bool _frozen;

        public OpenPage(IBrowserContext context, IPage page, ICDPSession cdp, string url, BrowserLog log)
        {
            (Context, Page, _cdp, Url, Log) = (context, page, cdp, url, log);
            page.RequestFailed += (_, r) =>
            {
                if (r.Failure?.Contains("ERR_NETWORK_CHANGED", StringComparison.Ordinal) == true)
                {
                    Interlocked.Increment(ref _networkChanges);
                }
            };
            page.WebSocket += (_, _) => Interlocked.Increment(ref _sockets);
        }

        public IBrowserContext Context { get; }

        public IPage Page { get; }

        public string Url { get; }

        public BrowserLog Log { get; }

        /// <summary>Requests of this page that Chromium aborted because a host interface changed.</summary>
        public int NetworkChanges => Volatile.Read(ref _networkChanges);

        public async Task LoadAsync(CancellationToken cancellationToken)
        {
            await Page.GotoAsync(Url);
            await Log.WaitAsync(Page.Locator("h1").WaitForAsync(new() { Timeout = 20_000 }));
            // The HMR client connects after the page's modules ran; an edit before that would be missed.
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (Volatile.Read(ref _sockets) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"No HMR WebSocket was opened by {Url}.\n{Log}");
                }
                await Page.WaitForTimeoutAsync(50);
            }
            await Page.EvaluateAsync(ObserverScript);
            await Page.WaitForTimeoutAsync(300);
        }

        /// <summary>A frozen page runs no tasks; WebSocket messages wait for it and are handled when it thaws.</summary>
        public async Task SetFrozenAsync(bool frozen)
        {
            if (_frozen != frozen)
            {
                await _cdp.SendAsync("Page.setWebLifecycleState", new Dictionary<string, object> { ["state"] = frozen ? "frozen" : "active" });
                _frozen = frozen;
            }
        }

        public Task WaitForTextAsync(string text, TimeSpan timeout) =>
            Page.WaitForFunctionAsync("m => (document.querySelector('h1')?.textContent ?? '').includes(m)", text,
                new() { PollingInterval = 20, Timeout = (float)timeout.TotalMilliseconds });

        /// <summary>The in-page time at which the observer saw the text.</summary>
        public async Task<double> SeenAsync(string marker, TimeSpan timeout)
        {
            try
            {
                await Page.WaitForFunctionAsync("m => window.__lpBench?.seen[m] !== undefined", marker,
                    new() { PollingInterval = 20, Timeout = (float)timeout.TotalMilliseconds });
            }
            catch (TimeoutException ex)
            {
                throw new TimeoutException($"{Url} did not show the edit within {timeout.TotalSeconds:0} s.\n{Log}", ex);
            }
            return await Page.EvaluateAsync<double>("m => window.__lpBench.seen[m]", marker);
        }
    }

    [GeneratedRegex("<h1>.*?</h1>", RegexOptions.Singleline)]
    private static partial Regex H1();
}
