using System.Collections.Concurrent;
using System.Diagnostics;

namespace LivePreview.PoolBench;

/// <summary>
/// Sessions arriving as a Poisson process at a set rate (exponential gaps, fixed seed), each ended
/// after a random lifetime; the hit rate is the pool's own count of hits over starts in the run.
/// </summary>
internal static class PoissonBench
{
    private const double TargetHitRate = 0.95;

    public static async Task RunAsync(Sessions sessions, PoolBenchOptions options, int poolSize, Report report, CancellationToken cancellationToken)
    {
        var random = new Random(42);
        var meanGap = 60.0 / options.RatePerMinute;
        Console.WriteLine($"Poisson arrivals, pool of {poolSize}: {options.RatePerMinute} sessions/min for {options.PoissonDuration.TotalSeconds:0} s, lifetimes {options.MinLifetime.TotalSeconds:0}–{options.MaxLifetime.TotalSeconds:0} s");
        if (!await sessions.WaitForPoolAsync(p => p.GetProperty("ready").GetInt32() >= poolSize, TimeSpan.FromMinutes(2), cancellationToken))
        {
            throw new TimeoutException("The pool did not fill before the Poisson run.");
        }
        var before = await sessions.PoolAsync(cancellationToken);
        var starts = new ConcurrentBag<SessionStart>();
        var failures = new ConcurrentBag<string>();
        var running = new List<Task>();
        var clock = Stopwatch.StartNew();
        var next = TimeSpan.FromSeconds(-Math.Log(1 - random.NextDouble()) * meanGap);
        while (next < options.PoissonDuration)
        {
            await Task.Delay(next - clock.Elapsed > TimeSpan.Zero ? next - clock.Elapsed : TimeSpan.Zero, cancellationToken);
            var lifetime = options.MinLifetime + ((options.MaxLifetime - options.MinLifetime) * random.NextDouble());
            running.Add(OneAsync(sessions, next, lifetime, starts, failures, cancellationToken));
            next += TimeSpan.FromSeconds(-Math.Log(1 - random.NextDouble()) * meanGap);
        }
        await Task.WhenAll(running);
        var after = await sessions.PoolAsync(cancellationToken);
        var hits = after.GetProperty("hits").GetInt32() - before.GetProperty("hits").GetInt32();
        var misses = after.GetProperty("misses").GetInt32() - before.GetProperty("misses").GetInt32();
        var rate = hits + misses == 0 ? double.NaN : (double)hits / (hits + misses);
        var warm = starts.Where(s => s.Warm).Select(s => s.ToAppMs).ToList();
        var cold = starts.Where(s => !s.Warm).Select(s => s.ToAppMs).ToList();
        var all = starts.Select(s => s.ToAppMs).ToList();
        report.Add(new Row($"hit rate, pool of {poolSize}, Poisson {Stats.Number(options.RatePerMinute)}/min over {options.PoissonDuration.TotalSeconds:0} s", Stats.Number(rate * 100, "0.0") + " %", "—",
            "≥ 95 %", Report.Met(rate >= TargetHitRate),
            $"{hits} hits, {misses} misses of {hits + misses} starts; pool of {poolSize} react-vite; lifetimes {options.MinLifetime.TotalSeconds:0}–{options.MaxLifetime.TotalSeconds:0} s; "
            + $"{after.GetProperty("evictions").GetInt32() - before.GetProperty("evictions").GetInt32()} evictions; {failures.Count} failed starts{(failures.IsEmpty ? "" : ": " + failures.First())}"));
        report.Add(new Row($"session start under those arrivals, pool of {poolSize} (all; warm and cold in notes)", Stats.Ms(Stats.P50(all)), Stats.Ms(Stats.P95(all)), "—", "—",
            $"warm p50 {Stats.Ms(Stats.P50(warm))} p95 {Stats.Ms(Stats.P95(warm))} (n={warm.Count}); cold p50 {Stats.Ms(Stats.P50(cold))} p95 {Stats.Ms(Stats.P95(cold))} (n={cold.Count}); refills ran beside them"));
    }

    private static async Task OneAsync(Sessions sessions, TimeSpan at, TimeSpan lifetime, ConcurrentBag<SessionStart> starts, ConcurrentBag<string> failures, CancellationToken cancellationToken)
    {
        try
        {
            var start = await sessions.StartAsync(cancellationToken);
            starts.Add(start);
            Console.WriteLine($"  {at.TotalSeconds,6:0.0} s +{start.SandboxId} {(start.Warm ? "warm" : "COLD")} {Stats.Ms(start.ToAppMs)}, ends in {lifetime.TotalSeconds:0} s");
            await Task.Delay(lifetime, cancellationToken);
            await sessions.EndAsync(start.Id, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            failures.Add(ex.Message);
            Console.Error.WriteLine($"  session failed: {ex.Message}");
        }
    }
}
