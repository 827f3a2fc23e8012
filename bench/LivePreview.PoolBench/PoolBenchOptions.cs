using System.Globalization;

namespace LivePreview.PoolBench;

/// <summary>Command line: <c>[--quick] [--only start,poisson,capacity] [--rate 12] [--pools 2,3] [--duration 120] [--cap 60]</c>.</summary>
internal sealed record PoolBenchOptions(
    bool Quick,
    IReadOnlySet<string> Only,
    int ColdSamples,
    int WarmSamples,
    int PoolSize,
    IReadOnlyList<int> PoissonPools,
    double RatePerMinute,
    TimeSpan PoissonDuration,
    TimeSpan MinLifetime,
    TimeSpan MaxLifetime,
    int CapacityCap,
    int MinFreeMb,
    TimeSpan CapacityBudget,
    string Output)
{
    public static readonly string[] Parts = ["start", "poisson", "capacity"];

    public bool Runs(string part) => Only.Count == 0 || Only.Contains(part);

    public static PoolBenchOptions Parse(string[] args)
    {
        var quick = args.Contains("--quick");
        string? Value(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }
        var only = (Value("--only") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
        if (only.Except(Parts).FirstOrDefault() is { } unknown)
        {
            throw new ArgumentException($"--only takes {string.Join(", ", Parts)}; '{unknown}' is none of them.");
        }
        var output = quick ? "pool-quick.md" : only.Count > 0 ? "pool-partial.md" : "pool.md";
        return new PoolBenchOptions(
            quick, only,
            ColdSamples: quick ? 3 : 8,
            WarmSamples: quick ? 4 : 15,
            PoolSize: 2,
            PoissonPools: (Value("--pools") ?? (quick ? "2" : "2,3")).Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToList(),
            RatePerMinute: double.Parse(Value("--rate") ?? "12", CultureInfo.InvariantCulture),
            PoissonDuration: TimeSpan.FromSeconds(double.Parse(Value("--duration") ?? (quick ? "40" : "120"), CultureInfo.InvariantCulture)),
            MinLifetime: TimeSpan.FromSeconds(quick ? 5 : 10),
            MaxLifetime: TimeSpan.FromSeconds(quick ? 15 : 30),
            CapacityCap: int.Parse(Value("--cap") ?? (quick ? "10" : "60"), CultureInfo.InvariantCulture),
            MinFreeMb: 2048,
            CapacityBudget: TimeSpan.FromMinutes(quick ? 1.5 : 4),
            Output: Path.Combine(Tests.Support.LivePreviewHost.RepositoryRoot, "artifacts", "bench", output));
    }
}
