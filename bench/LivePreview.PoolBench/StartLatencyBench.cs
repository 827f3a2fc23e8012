using System.Text.Json;

namespace LivePreview.PoolBench;

/// <summary>
/// What a user waits for: POST a session until its preview serves the app. Cold on a service whose
/// pool is off; warm on one with a full pool, each sample taken once the pool is full and idle again,
/// so the two differ only in where the sandbox came from.
/// </summary>
internal static class StartLatencyBench
{
    private const double WarmTargetMs = 300;

    public static async Task<List<double>> ColdAsync(Sessions sessions, int samples, CancellationToken cancellationToken)
    {
        Console.WriteLine($"cold starts (pool off): 1 warm-up + {samples}");
        var results = new List<double>();
        for (var i = 0; i <= samples; i++)
        {
            var start = await sessions.StartAsync(cancellationToken);
            await sessions.EndAsync(start.Id, cancellationToken);
            if (start.Warm)
            {
                throw new InvalidOperationException("A session got a pooled sandbox from a service whose pool is off.");
            }
            if (i > 0)
            {
                results.Add(start.ToAppMs);
                Console.WriteLine($"  cold {i}/{samples}: {Stats.Ms(start.ToAppMs)}");
            }
            await Task.Delay(300, cancellationToken);
        }
        return results;
    }

    public static async Task<List<double>> WarmAsync(Sessions sessions, int poolSize, int samples, CancellationToken cancellationToken)
    {
        Console.WriteLine($"warm starts (pool of {poolSize}): 1 warm-up + {samples}");
        var results = new List<double>();
        for (var i = 0; i <= samples; i++)
        {
            if (!await sessions.WaitForPoolAsync(p => Full(p, poolSize), TimeSpan.FromMinutes(2), cancellationToken))
            {
                throw new TimeoutException("The pool did not refill within 2 minutes.");
            }
            var start = await sessions.StartAsync(cancellationToken);
            await sessions.EndAsync(start.Id, cancellationToken);
            if (!start.Warm)
            {
                throw new InvalidOperationException("A session started cold although the pool was full.");
            }
            if (i > 0)
            {
                results.Add(start.ToAppMs);
                Console.WriteLine($"  warm {i}/{samples}: {Stats.Ms(start.ToAppMs)} (POST {Stats.Ms(start.PostMs)})");
            }
        }
        return results;
    }

    public static void AddRows(Report report, IReadOnlyList<double> cold, IReadOnlyList<double> warm, int poolSize)
    {
        var p50 = Stats.P50(warm);
        report.Add(new Row("warm session start (POST → app 200 via proxy)", Stats.Ms(p50), Stats.Ms(Stats.P95(warm)), "p50 ≤ 0.3 s", Report.Met(p50 <= WarmTargetMs),
            $"n={warm.Count} after 1 warm-up; pool of {poolSize} react-vite, full and idle before each start; preview URL polled every 20 ms"));
        report.Add(new Row("cold session start (POST → app 200 via proxy)", Stats.Ms(Stats.P50(cold)), Stats.Ms(Stats.P95(cold)), "—", "—",
            $"n={cold.Count} after 1 warm-up; pool off (Size=0): snapshot overlay + netns + Vite start + readiness; warm is {Stats.Number(Stats.P50(cold) / p50, "0")}× faster at p50"));
    }

    private static bool Full(JsonElement pool, int size) =>
        pool.GetProperty("ready").GetInt32() >= size && pool.GetProperty("starting").GetInt32() == 0;
}
