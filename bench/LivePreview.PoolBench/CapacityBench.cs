using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace LivePreview.PoolBench;

/// <summary>
/// How many idle live react-vite sandboxes (dev server up, preview ready) this machine holds: the pool
/// itself fills, a few at a time, and stops at the cap or when less than the kept-free memory remains
/// (its MinAvailableMemoryMb guard); the bench stops waiting when nothing grows for a while or the time budget ends.
/// </summary>
internal static class CapacityBench
{
    private const int TargetCount = 40;
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(30);

    public static IDictionary<string, string?> Settings(PoolBenchOptions o) => new Dictionary<string, string?>
    {
        ["LivePreview:WarmPool:MaxParallelStarts"] = "3",
        ["LivePreview:WarmPool:MinAvailableMemoryMb"] = o.MinFreeMb.ToString(CultureInfo.InvariantCulture),
        ["LivePreview:WarmPool:HealthInterval"] = "00:00:05",
        ["LivePreview:WarmPool:MemorySampleAge"] = "00:00:05",
        ["LivePreview:Sandboxes:MaxSandboxes"] = (o.CapacityCap + 4).ToString(CultureInfo.InvariantCulture),
    };

    public static async Task RunAsync(Sessions sessions, PoolBenchOptions o, Report report, CancellationToken cancellationToken)
    {
        Console.WriteLine($"capacity: pool of up to {o.CapacityCap} react-vite, keeping {o.MinFreeMb} MiB free, for at most {o.CapacityBudget.TotalMinutes:0.#} min");
        var clock = Stopwatch.StartNew();
        var best = 0;
        var bestAt = TimeSpan.Zero;
        JsonElement pool = default;
        string stop;
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            pool = await sessions.PoolAsync(cancellationToken);
            var ready = pool.GetProperty("ready").GetInt32();
            if (ready > best)
            {
                (best, bestAt) = (ready, clock.Elapsed);
                Console.WriteLine($"  {ready} ready, {pool.GetProperty("starting").GetInt32()} starting, {Available() / 1024 / 1024} MiB available [{clock.Elapsed:mm\\:ss}]");
            }
            if (ready >= o.CapacityCap)
            {
                stop = "the cap";
                break;
            }
            if (clock.Elapsed - bestAt > Stall)
            {
                stop = Available() < (o.MinFreeMb + 300L) * 1024 * 1024 ? "the kept-free memory" : $"no growth for {Stall.TotalSeconds:0} s";
                break;
            }
            if (clock.Elapsed > o.CapacityBudget)
            {
                stop = "the time budget";
                break;
            }
        }
        // Let the health pass measure the last ones.
        await Task.Delay(TimeSpan.FromSeconds(6), cancellationToken);
        pool = await sessions.PoolAsync(cancellationToken);
        var count = pool.GetProperty("ready").GetInt32();
        var rss = pool.GetProperty("members").EnumerateArray()
            .Where(m => m.GetProperty("state").GetString() == "ready" && m.GetProperty("memory_bytes").ValueKind == JsonValueKind.Number)
            .Select(m => (double)m.GetProperty("memory_bytes").GetInt64()).ToList();
        var availableAfter = Available();
        var pss = pool.GetProperty("members").EnumerateArray()
            .Where(m => m.GetProperty("state").GetString() == "ready")
            .Select(m => (double)ProportionalBytes(m.GetProperty("sandbox_id").GetString()!)).Where(b => b > 0).ToList();
        report.Add(new Row("idle live sandboxes held (react-vite, preview ready)", Stats.Number(count), "—", $"≥ {TargetCount}", Report.Met(count >= TargetCount),
            $"stopped by {stop} after {bestAt.TotalSeconds:0} s (cap {o.CapacityCap}, {o.MinFreeMb} MiB kept free, 3 starts at once); "
            + $"{Stats.MiB(availableAfter)} still available; {pool.GetProperty("evictions").GetInt32()} evictions while filling"));
        report.Add(new Row("memory per idle sandbox, RSS (as the pool's gauge reports it)", Stats.MiB(Stats.P50(rss)), Stats.MiB(Stats.P95(rss)), "—", "—",
            $"n={rss.Count}; sum of VmRSS of the sandbox's processes; pages shared between sandboxes (the node binary, the snapshot's files) count in each"));
        report.Add(new Row("memory per idle sandbox, PSS (its fair share)", Stats.MiB(Stats.P50(pss)), Stats.MiB(Stats.P95(pss)), "—", "—",
            $"n={pss.Count}; sum of Pss from /proc/<pid>/smaps_rollup, shared pages split among their users: what one more sandbox costs; the readiness probe loaded the page and its entry scripts, a browser session adds more"));
        report.Add(new Row("service memory with that pool (VmRSS)", Stats.MiB(ProcessRss()), "—", "—", "—",
            "the bench process, which hosts the service in-process (Kestrel, proxy, supervisors, EF Core)"));
    }

    public static long Available() => ReadKb("/proc/meminfo", "MemAvailable:");

    /// <summary>Sum of Pss of the processes in the sandbox's memory cgroup (the local provider's).</summary>
    private static long ProportionalBytes(string sandboxId)
    {
        try
        {
            return File.ReadAllLines(Path.Join("/sys/fs/cgroup/memory/livepreview", sandboxId, "cgroup.procs"))
                .Sum(pid => File.Exists($"/proc/{pid}/smaps_rollup") ? ReadKb($"/proc/{pid}/smaps_rollup", "Pss:") : 0);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static double ProcessRss() => ReadKb("/proc/self/status", "VmRSS:");

    private static long ReadKb(string file, string key) =>
        long.Parse(File.ReadLines(file).First(l => l.StartsWith(key, StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
}
