using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using LivePreview.EndToEnd;
using LivePreview.Frameworks;
using LivePreview.Snapshots;
using LivePreview.Tests.Support;
using Microsoft.Playwright;

namespace LivePreview.Bench;

internal static class BenchRun
{
    /// <summary>Browser.Args plus flags that keep pages in other windows from being throttled while they are measured.</summary>
    private static readonly string[] BrowserArgs =
        [.. Browser.Args, "--disable-background-timer-throttling", "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows"];

    public static async Task<int> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var report = new Report();
        var exitCode = 0;
        LivePreviewHost? host = null;
        Janitor? janitor = null;
        var loadAtStart = LoadAverage();
        try
        {
            Console.WriteLine($"starting the service ({(options.Quick ? "quick run" : "full run")})…");
            // One user makes every sandbox, session and prompt of a run: the per-user rate limits would measure themselves.
            var settings = new Dictionary<string, string?> { ["Logging:LogLevel:LivePreview"] = "Warning", ["LivePreview:RateLimits:Enabled"] = "false" };
            // The prompt bench's transcripts: the service reads its replay folder from the options at start.
            var replays = options.Runs("prompt") ? BenchTranscripts.Write(PromptBench.TranscriptsNeeded(options.PromptWarmUp, options.Prompts)) : null;
            if (replays is not null)
            {
                settings["LivePreview:Agents:ReplayDirectory"] = replays;
                settings["LivePreview:Agents:ReplayDelayScale"] = "0";
            }
            host = await LivePreviewHost.StartAsync(settings);
            janitor = new Janitor(host);
            if (replays is not null)
            {
                janitor.Directory(replays);
            }
            await AddFactsAsync(report, host, options, loadAtStart, cancellationToken);

            if (options.Runs("cold"))
            {
                var cold = new ColdStartBench(host, janitor, report);
                await EnsureSnapshotAsync(host, FrameworkCatalog.ReactVite, cancellationToken);
                await cold.RunAsync(FrameworkCatalog.ReactVite, options.ColdReact, cancellationToken);
                await EnsureSnapshotAsync(host, FrameworkCatalog.VueVite, cancellationToken);
                await cold.RunAsync(FrameworkCatalog.VueVite, options.ColdVue, cancellationToken);
                Console.WriteLine($"  [{total.Elapsed:mm\\:ss}]");
            }

            if (options.Runs("hmr") || options.Runs("load"))
            {
                await EnsureSnapshotAsync(host, FrameworkCatalog.ReactVite, cancellationToken);
                var sandbox = await BenchSandbox.CreateAsync(host, janitor, FrameworkCatalog.ReactVite, cancellationToken);
                if (options.Runs("hmr"))
                {
                    var browser = await LaunchBrowserAsync(janitor, report);
                    await new HmrBench(janitor, report).RunAsync(sandbox, browser, options.HmrWarmUp, options.HmrEdits, cancellationToken);
                    await browser.CloseAsync();
                    Console.WriteLine($"  [{total.Elapsed:mm\\:ss}]");
                }
                if (options.Runs("load"))
                {
                    await new ThroughputBench(host, report).RunAsync(sandbox, options.LoadConcurrency, options.LoadDuration, options.LoadRounds, cancellationToken);
                    Console.WriteLine($"  [{total.Elapsed:mm\\:ss}]");
                }
                await janitor.DeleteApiSandboxAsync(sandbox.Id, cancellationToken);
            }

            if (options.Runs("paint"))
            {
                await EnsureSnapshotAsync(host, FrameworkCatalog.ReactVite, cancellationToken);
                var sandbox = await BenchSandbox.CreateAsync(host, janitor, FrameworkCatalog.ReactVite, cancellationToken);
                var browser = await LaunchBrowserAsync(janitor, report);
                await new PaintReportBench(host, janitor, report).RunAsync(sandbox, browser, options.PaintWarmUp, options.PaintEdits, cancellationToken);
                await browser.CloseAsync();
                await janitor.DeleteApiSandboxAsync(sandbox.Id, cancellationToken);
                Console.WriteLine($"  [{total.Elapsed:mm\\:ss}]");
            }

            if (options.Runs("prompt"))
            {
                await EnsureSnapshotAsync(host, FrameworkCatalog.ReactVite, cancellationToken);
                var browser = await LaunchBrowserAsync(janitor, report);
                await new PromptBench(host, janitor, report).RunAsync(browser, options.PromptWarmUp, options.Prompts, cancellationToken);
                await browser.CloseAsync();
                Console.WriteLine($"  [{total.Elapsed:mm\\:ss}]");
            }

            if (options.Runs("command") || options.Runs("terminal") || options.Runs("question"))
            {
                await EnsureSnapshotAsync(host, FrameworkCatalog.ReactVite, cancellationToken);
                var sandbox = await BenchSandbox.CreateAsync(host, janitor, FrameworkCatalog.ReactVite, cancellationToken);
                if (options.Runs("command"))
                {
                    await new CommandBench(host, report).RunAsync(sandbox.Id, warmUp: 3, options.Commands, cancellationToken);
                }
                if (options.Runs("terminal"))
                {
                    await new TerminalBench(host, report).RunAsync(sandbox.Id, warmUp: 5, options.Keystrokes, cancellationToken);
                }
                if (options.Runs("question"))
                {
                    await new QuestionBench(host, report).RunAsync(sandbox.Id, warmUp: 2, options.Questions, cancellationToken);
                }
                await janitor.DeleteApiSandboxAsync(sandbox.Id, cancellationToken);
                Console.WriteLine($"  [{total.Elapsed:mm\\:ss}]");
            }

            if (options.Runs("workspace"))
            {
                await new WorkspaceBench(host, janitor, report).RunAsync(FrameworkCatalog.All, options.WorkspaceSamples, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Console.Error.WriteLine("cancelled; cleaning up");
            exitCode = 130;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"benchmark failed: {ex}");
            exitCode = 1;
        }
        finally
        {
            if (janitor is not null && !await janitor.CleanUpAsync())
            {
                exitCode = exitCode == 0 ? 1 : exitCode;
            }
            if (host is not null)
            {
                try
                {
                    await host.DisposeAsync();
                }
                catch (Exception ex)
                {
                    Console.Error.WriteLine($"clean-up: stopping the service failed: {ex.Message}");
                    exitCode = exitCode == 0 ? 1 : exitCode;
                }
            }
        }

        report.Fact($"load average (1/5/15 min) at start {loadAtStart}, at end {LoadAverage()}; whole run {total.Elapsed.TotalSeconds:0} s");
        var complete = exitCode == 0;
        var markdown = report.Render(complete ? "LivePreview core benchmark"
            : $"LivePreview core benchmark (INCOMPLETE: the run {(exitCode == 130 ? "was cancelled" : "failed")})");
        Console.WriteLine();
        Console.WriteLine(markdown);
        if (complete)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(options.Output)!);
            await File.WriteAllTextAsync(options.Output, markdown, CancellationToken.None);
            Console.WriteLine($"written to {options.Output}");
        }
        return exitCode;
    }

    /// <summary>Debian's Chromium, headless; said once in the facts however many parts use it.</summary>
    private static async Task<IBrowser> LaunchBrowserAsync(Janitor janitor, Report report)
    {
        var playwright = await Playwright.CreateAsync();
        janitor.OnCleanUp(() => { playwright.Dispose(); return Task.CompletedTask; });
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("LIVEPREVIEW_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            Args = BrowserArgs,
        });
        janitor.OnCleanUp(() => browser.DisposeAsync().AsTask());
        report.FactOnce($"Chromium {browser.Version} headless (Debian's, driven by Microsoft.Playwright)");
        return browser;
    }

    private static async Task EnsureSnapshotAsync(LivePreviewHost host, FrameworkDefinition framework, CancellationToken cancellationToken)
    {
        var store = host.Service<ISnapshotStore>();
        if (store.TryGetCurrent(framework) is null)
        {
            Console.WriteLine($"building the {framework.Name} snapshot first (not timed)…");
            await store.EnsureAsync(framework, cancellationToken);
        }
    }

    private static async Task AddFactsAsync(Report report, LivePreviewHost host, BenchOptions options, string load, CancellationToken cancellationToken)
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var memKb = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var memory = memKb is null ? "?" : (long.Parse(memKb, CultureInfo.InvariantCulture) / 1024d / 1024d).ToString("0", CultureInfo.InvariantCulture) + " GiB";
        var node = (await HostCommand.RunAsync("node", ["--version"], cancellationToken)).Trim();
        var vite = host.Service<ISnapshotStore>().TryGetCurrent(FrameworkCatalog.ReactVite)?.Versions.GetValueOrDefault("vite") ?? "?";
        var kind = (options.Quick ? "quick run (--quick: few samples, a smoke test)" : "full run")
            + (options.Only.Count > 0 ? $", only {string.Join(", ", options.Only)}" : "");
        report.Fact($"{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {kind}; every figure below is from this run");
        report.Fact($"{Environment.ProcessorCount} cores ({cpu}), {memory} RAM, Linux {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}");
        report.Fact($"{RuntimeInformation.FrameworkDescription} ({(GCSettings.IsServerGC ? "server" : "workstation")} GC), Release={IsRelease()}; Node {node}, Vite {vite}");
        report.Fact("service in-process on 127.0.0.1 (LivePreviewHost), local sandboxes (overlayfs + netns + bubblewrap), snapshots already built; the bench, the proxy, the dev servers and Chromium share the cores (other work may run on the machine too: see the load average)");
    }

    private static bool IsRelease() =>
        typeof(BenchRun).Assembly.GetCustomAttributes(typeof(DebuggableAttribute), false).OfType<DebuggableAttribute>().All(d => !d.IsJITOptimizerDisabled);

    private static string LoadAverage()
    {
        var parts = File.ReadAllText("/proc/loadavg").Split(' ');
        return $"{parts[0]}/{parts[1]}/{parts[2]}";
    }
}
