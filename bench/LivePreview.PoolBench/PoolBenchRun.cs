using System.Diagnostics;
using System.Runtime.InteropServices;
using LivePreview.Frameworks;
using LivePreview.Snapshots;
using LivePreview.Tests.Support;

namespace LivePreview.PoolBench;

/// <summary>Three services in turn (pool off, pool of 2, pool as large as the machine takes), each cleaned up before the next.</summary>
internal static class PoolBenchRun
{
    public static async Task<int> RunAsync(PoolBenchOptions options, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var report = new Report();
        var load = LoadAverage();
        var exitCode = 0;
        try
        {
            AddFacts(report, options);
            if (options.Runs("start"))
            {
                var cold = await WithHostAsync(0, null, (s, _, ct) => StartLatencyBench.ColdAsync(s, options.ColdSamples, ct), cancellationToken);
                var warm = await WithHostAsync(options.PoolSize, null, (s, _, ct) => StartLatencyBench.WarmAsync(s, options.PoolSize, options.WarmSamples, ct), cancellationToken);
                StartLatencyBench.AddRows(report, cold, warm, options.PoolSize);
                Console.WriteLine($"  [{total.Elapsed:mm\\:ss}]");
            }
            if (options.Runs("poisson"))
            {
                foreach (var size in options.PoissonPools)
                {
                    await WithHostAsync(size, null, async (s, _, ct) => { await PoissonBench.RunAsync(s, options, size, report, ct); return 0; }, cancellationToken);
                    Console.WriteLine($"  [{total.Elapsed:mm\\:ss}]");
                }
            }
            if (options.Runs("capacity"))
            {
                await WithHostAsync(options.CapacityCap, CapacityBench.Settings(options),
                    async (s, _, ct) => { await CapacityBench.RunAsync(s, options, report, ct); return 0; }, cancellationToken, report);
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
        report.Fact($"load average (1/5/15 min) at start {load}, at end {LoadAverage()}; whole run {total.Elapsed.TotalSeconds:0} s");
        var markdown = report.Render(exitCode == 0 ? "LivePreview warm pool benchmark" : "LivePreview warm pool benchmark (INCOMPLETE)");
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

    /// <summary>Runs one part against its own service and always cleans that service up, also after a failure or Ctrl+C.</summary>
    private static async Task<T> WithHostAsync<T>(int poolSize, IDictionary<string, string?>? extra, Func<Sessions, LivePreviewHost, CancellationToken, Task<T>> part,
        CancellationToken cancellationToken, Report? cleanupReport = null)
    {
        var host = await PoolHosts.StartAsync(poolSize, extra);
        try
        {
            await EnsureSnapshotAsync(host, cancellationToken);
            using var sessions = new Sessions(host);
            return await part(sessions, host, cancellationToken);
        }
        finally
        {
            var clean = Stopwatch.StartNew();
            if (!await PoolHosts.StopAndCleanAsync(host))
            {
                throw new InvalidOperationException("Clean-up left something behind (see above).");
            }
            cleanupReport?.Fact($"stopping the capacity service and deleting its sandboxes took {clean.Elapsed.TotalSeconds:0} s");
        }
    }

    private static async Task EnsureSnapshotAsync(LivePreviewHost host, CancellationToken cancellationToken)
    {
        var store = host.Service<ISnapshotStore>();
        if (store.TryGetCurrent(FrameworkCatalog.ReactVite) is null)
        {
            Console.WriteLine("building the react-vite snapshot first (not timed)…");
            await store.EnsureAsync(FrameworkCatalog.ReactVite, cancellationToken);
        }
    }

    private static void AddFacts(Report report, PoolBenchOptions options)
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        report.Fact($"{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {(options.Quick ? "quick run (--quick: few samples)" : "full run")}{(options.Only.Count > 0 ? ", only " + string.Join(", ", options.Only) : "")}; every figure below is from this run");
        report.Fact($"{Environment.ProcessorCount} cores ({cpu}), {CapacityBench.Available() / 1024 / 1024 / 1024} GiB available at start, {RuntimeInformation.FrameworkDescription}");
        report.Fact("service in-process on 127.0.0.1 (LivePreviewHost), local sandboxes (overlayfs + netns + bubblewrap), react-vite only in the pool, snapshot already built; other work may share the machine (see the load average)");
    }

    private static string LoadAverage()
    {
        var parts = File.ReadAllText("/proc/loadavg").Split(' ');
        return $"{parts[0]}/{parts[1]}/{parts[2]}";
    }
}
