namespace LivePreview.InstancesBench;

internal sealed class InstancesBenchOptions
{
    /// <summary>Measured requests per path (through the owner, through the other instance), after the warm-up.</summary>
    public int Requests { get; set; } = 500;

    /// <summary>Unmeasured requests per path first: connections opened, the forwarder's and the dev server's caches warm.</summary>
    public int WarmUp { get; set; } = 50;

    /// <summary>The measured requests are split into this many rounds per path, the paths alternating (owner, other, other, owner, …).</summary>
    public int Rounds { get; set; } = 10;

    /// <summary>Size of the asset written to the dev server's <c>public/</c> folder and fetched.</summary>
    public int AssetBytes { get; set; } = 1024;

    /// <summary>The shared database: one SQLite file, or one database on a PostgreSQL server the bench starts.</summary>
    public bool Postgres { get; set; }

    public string Output { get; set; } = Path.Combine(Tests.Support.LivePreviewHost.RepositoryRoot, "artifacts", "bench", "instances.md");

    public static InstancesBenchOptions Parse(string[] args)
    {
        var options = new InstancesBenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.\n{Usage}");
            switch (args[i])
            {
                case "--requests": options.Requests = Positive(value); break;
                case "--warmup": options.WarmUp = Positive(value); break;
                case "--rounds": options.Rounds = Positive(value); break;
                case "--asset-bytes": options.AssetBytes = Positive(value); break;
                case "--out": options.Output = value; break;
                case "--database":
                    options.Postgres = value.ToLowerInvariant() switch
                    {
                        "sqlite" => false,
                        "postgresql" => true,
                        _ => throw new ArgumentException($"--database takes sqlite or postgresql, not '{value}'.\n{Usage}"),
                    };
                    break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'.\n{Usage}");
            }
            i++;
        }
        if (options.Requests < options.Rounds)
        {
            throw new ArgumentException("--requests must be at least --rounds.");
        }
        return options;
    }

    private const string Usage =
        "usage: dotnet run --project bench/LivePreview.InstancesBench -c Release [-- [--requests 500] [--warmup 50] [--rounds 10] [--asset-bytes 1024] [--database sqlite|postgresql] [--out FILE]]";

    private static int Positive(string value) =>
        int.TryParse(value, out var n) && n > 0 ? n : throw new ArgumentException($"Expected a positive number, not '{value}'.\n{Usage}");
}
