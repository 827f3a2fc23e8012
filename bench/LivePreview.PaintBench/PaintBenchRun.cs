using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Frameworks;
using LivePreview.PoolBench;
using LivePreview.Snapshots;
using LivePreview.Tests.Support;
using Microsoft.Playwright;

namespace LivePreview.PaintBench;

/// <summary>Each variant on its own service with a pool of 2 react-vite, cleaned up before the next; (a) and (b) alternate.</summary>
internal static class PaintBenchRun
{
    private const int PoolSize = 2;

    public static async Task<int> RunAsync(PaintBenchOptions options, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var load = LoadAverage();
        var results = new List<(Variant Variant, List<PaintSample> Samples)>();
        var exitCode = 0;
        try
        {
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Environment.GetEnvironmentVariable("LIVEPREVIEW_CHROMIUM") ?? "/usr/bin/chromium",
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            });
            foreach (var variant in options.Variants)
            {
                results.Add((variant, await WithHostAsync(variant, (host, sessions) => MeasureAsync(host, sessions, browser, variant, options.Runs, cancellationToken), cancellationToken)));
                Console.WriteLine($"  [{total.Elapsed:mm\\:ss}]");
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Console.Error.WriteLine("cancelled; cleaned up");
            exitCode = 130;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"benchmark failed: {ex}");
            exitCode = 1;
        }
        var facts = new List<string>
        {
            $"{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {options.Runs} runs per path and variant after 1 warm-up each; every figure below is from this run",
            $"{Environment.ProcessorCount} cores, load average (1/5/15 min) at start {load}, at end {LoadAverage()}; whole run {total.Elapsed.TotalSeconds:0} s",
            $"service in-process on 127.0.0.1, pool of {PoolSize} react-vite, full and idle before every start; a fresh Chromium context per start; proxy Server-Timing on",
        };
        var markdown = PaintTables.Render(exitCode == 0 ? "LivePreview first-paint benchmark" : "LivePreview first-paint benchmark (INCOMPLETE)", facts, results);
        Console.WriteLine();
        Console.WriteLine(markdown);
        if (exitCode == 0)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(options.Output)!);
            await File.WriteAllTextAsync(options.Output, markdown, CancellationToken.None);
            Console.WriteLine($"written to {options.Output}");
        }
        return exitCode;
    }

    private static async Task<List<PaintSample>> MeasureAsync(LivePreviewHost host, Sessions sessions, IBrowser browser, Variant variant, int runs, CancellationToken cancellationToken)
    {
        Console.WriteLine($"{variant.Name}: {variant.Description}");
        using var api = host.CreateLoopbackClient();
        api.BaseAddress = new Uri($"http://127.0.0.1:{host.Port}/");
        api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", host.AdminKey);
        var samples = new List<PaintSample>();
        for (var i = 0; i <= runs; i++)
        {
            foreach (var path in new[] { PaintPath.Api, PaintPath.Prototype })
            {
                if (!await sessions.WaitForPoolAsync(p => p.GetProperty("ready").GetInt32() >= PoolSize && p.GetProperty("starting").GetInt32() == 0, TimeSpan.FromMinutes(3), cancellationToken))
                {
                    throw new TimeoutException("The pool did not refill within 3 minutes.");
                }
                var (sample, sessionId) = path == PaintPath.Api
                    ? await ThroughApiAsync(host, api, browser, cancellationToken)
                    : await ThroughPrototypePageAsync(host, browser, cancellationToken);
                await sessions.EndAsync(sessionId, cancellationToken);
                if (i > 0)
                {
                    samples.Add(sample);
                }
                Console.WriteLine($"  {(i == 0 ? "warm-up" : $"{i}/{runs}")} {path}: painted {Stats.Ms(sample.PaintedMs)}, first byte {Stats.Ms(sample.FirstByteMs)}, {sample.Requests} requests");
            }
        }
        return samples;
    }

    /// <summary>(a) POST a session, open its preview URL in a fresh context with the owner's key (no grant, no redirect).</summary>
    private static async Task<(PaintSample, string)> ThroughApiAsync(LivePreviewHost host, HttpClient api, IBrowser browser, CancellationToken cancellationToken)
    {
        await using var context = await browser.NewContextAsync(new() { ExtraHTTPHeaders = new Dictionary<string, string> { ["Authorization"] = $"Bearer {host.AdminKey}" } });
        var painted = await PaintProbe.AttachAsync(context, host.BaseUri);
        var page = await context.NewPageAsync();
        PageTrouble.Watch(page);
        var zeroEpoch = Epoch();
        JsonElement session;
        using (var response = await api.PostAsJsonAsync("api/v1/prototype/session", new { framework = "react-vite", agent = "replay" }, cancellationToken))
        {
            if (response.StatusCode != HttpStatusCode.Created)
            {
                throw new InvalidOperationException($"POST /api/v1/prototype/session answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
            }
            session = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        }
        if (session.GetProperty("preview_status").GetString() != "ready")
        {
            throw new InvalidOperationException("The session did not get a pooled sandbox although the pool was full.");
        }
        _ = page.GotoAsync(session.GetProperty("preview_url").GetString()!, new() { WaitUntil = WaitUntilState.Commit });
        var report = await WaitForPaintAsync(painted, page, cancellationToken);
        return (PaintSample.From(PaintPath.Api, zeroEpoch, report), session.GetProperty("id").GetString()!);
    }

    /// <summary>(b) A signed-in dashboard on /prototype (not timed), then the click on Start until the app is painted in the iframe.</summary>
    private static async Task<(PaintSample, string)> ThroughPrototypePageAsync(LivePreviewHost host, IBrowser browser, CancellationToken cancellationToken)
    {
        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1440, Height = 900 } });
        var painted = await PaintProbe.AttachAsync(context, host.BaseUri);
        var page = await context.NewPageAsync();
        PageTrouble.Watch(page);
        var token = host.Service<LivePreview.Auth.LoginLinks>().Issue();
        await page.GotoAsync(new Uri(host.BaseUri, $"login?token={token}").ToString());
        await page.GotoAsync(new Uri(host.BaseUri, "prototype").ToString());
        await page.Locator("[data-testid=prototype-start]:enabled").WaitForAsync();
        await page.GetByTestId("prototype-framework-react-vite").ClickAsync();
        await page.GetByTestId("prototype-agent").SelectOptionAsync("replay");
        await page.EvaluateAsync("() => document.addEventListener('click', e => { if (e.target.closest('[data-testid=prototype-start]')) window.__lpClick = performance.timeOrigin + performance.now(); }, { capture: true })");
        await page.GetByTestId("prototype-start").ClickAsync();
        var report = await WaitForPaintAsync(painted, page, cancellationToken);
        var clicked = await page.EvaluateAsync<double>("() => window.__lpClick");
        var sessionId = new Uri(page.Url).AbsolutePath.Split('/')[^1];
        return (PaintSample.From(PaintPath.Prototype, clicked, report), sessionId);
    }

    /// <summary>The paint report, or a failure that says where the browser was (a friendly page, a reload loop…).</summary>
    private static async Task<PaintReport> WaitForPaintAsync(TaskCompletionSource<PaintReport> painted, IPage page, CancellationToken cancellationToken)
    {
        try
        {
            return await painted.Task.WaitAsync(TimeSpan.FromSeconds(120), cancellationToken);
        }
        catch (TimeoutException)
        {
            var frames = string.Join("; ", page.Frames.Select(f => f.Url));
            // Where the frames are: the app's element there or not (a probe that missed it vs an app that never rendered).
            var states = await Task.WhenAll(page.Frames.Select(f => f.EvaluateAsync<string>(
                $"() => `${{document.readyState}}, ${{document.visibilityState}}, {PaintProbe.AppElement} ${{document.querySelector({System.Text.Json.JsonSerializer.Serialize(PaintProbe.AppElement)}) ? 'present' : 'absent'}}, root: ${{(document.getElementById('root')?.innerHTML ?? '').length}} chars`")
                .ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : t.Exception?.InnerException?.Message ?? "?", TaskScheduler.Default)));
            throw new TimeoutException($"No paint of {PaintProbe.AppElement} within 120 s; frames: {frames}; states: {string.Join("; ", states)}; trouble: {PageTrouble.Of(page)}");
        }
    }

    private static double Epoch() => (DateTime.UtcNow - DateTime.UnixEpoch).TotalMilliseconds;

    private static async Task<T> WithHostAsync<T>(Variant variant, Func<LivePreviewHost, Sessions, Task<T>> part, CancellationToken cancellationToken)
    {
        var settings = new Dictionary<string, string?>(variant.Settings) { ["LivePreview:Previews:ServerTiming"] = "true" };
        var host = await PoolHosts.StartAsync(PoolSize, settings);
        try
        {
            var store = host.Service<ISnapshotStore>();
            if (store.TryGetCurrent(FrameworkCatalog.ReactVite) is null)
            {
                Console.WriteLine("building the react-vite snapshot first (not timed)…");
                await store.EnsureAsync(FrameworkCatalog.ReactVite, cancellationToken);
            }
            using var sessions = new Sessions(host);
            return await part(host, sessions);
        }
        finally
        {
            if (!await PoolHosts.StopAndCleanAsync(host))
            {
                throw new InvalidOperationException("Clean-up left something behind (see above).");
            }
        }
    }

    private static string LoadAverage()
    {
        var parts = File.ReadAllText("/proc/loadavg").Split(' ');
        return $"{parts[0]}/{parts[1]}/{parts[2]}";
    }
}

/// <summary>What went wrong in a page, for a failure's message: console errors, failed requests, error answers.</summary>
internal static class PageTrouble
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IPage, List<string>> Lines = [];

    public static void Watch(IPage page)
    {
        var lines = Lines.GetOrCreateValue(page);
        void Add(string line)
        {
            lock (lines)
            {
                lines.Add(line);
            }
        }
        page.Console += (_, m) => { if (m.Type is "error" or "warning") Add($"console {m.Type}: {m.Text}"); };
        page.PageError += (_, e) => Add($"page error: {e}");
        page.RequestFailed += (_, r) => Add($"failed: {r.Method} {r.Url} {r.Failure}");
        page.Response += (_, r) => { if (r.Status >= 400) Add($"{r.Status}: {r.Url}"); };
    }

    public static string Of(IPage page)
    {
        if (!Lines.TryGetValue(page, out var lines))
        {
            return "(not watched)";
        }
        lock (lines)
        {
            return lines.Count == 0 ? "none" : string.Join(" | ", lines.TakeLast(20));
        }
    }
}
