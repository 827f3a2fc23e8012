using System.Globalization;

namespace LivePreview.PaintBench;

/// <summary>One service configuration measured: its name in the tables and the settings that differ from the default.</summary>
internal sealed record Variant(string Name, string Description, IReadOnlyDictionary<string, string?> Settings);

/// <summary>Command line: <c>[--quick] [--runs 9] [--variants before,graph] [--out file]</c>.</summary>
internal sealed record PaintBenchOptions(int Runs, IReadOnlyList<Variant> Variants, string Output)
{
    /// <summary>
    /// The levers, each alone against "before" (everything off). A lever that is code rather than a setting is
    /// measured by running the bench on the commit before and after it.
    /// </summary>
    public static readonly IReadOnlyList<Variant> Known =
    [
        new("before", "pool members ready when the page and its entry scripts answer (the module graph is not walked)",
            new Dictionary<string, string?> { ["LivePreview:WarmPool:WarmModuleGraph"] = "false" }),
        new("graph", "pool members count ready only after the host has fetched their whole module graph once (LivePreview:WarmPool:WarmModuleGraph)",
            new Dictionary<string, string?> { ["LivePreview:WarmPool:WarmModuleGraph"] = "true" }),
        new("noinject", "as graph, without the client script injection (LivePreview:Previews:InjectClientScript=false): its cost",
            new Dictionary<string, string?> { ["LivePreview:WarmPool:WarmModuleGraph"] = "true", ["LivePreview:Previews:InjectClientScript"] = "false" }),
    ];

    public static PaintBenchOptions Parse(string[] args)
    {
        var quick = args.Contains("--quick");
        string? Value(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }
        var names = (Value("--variants") ?? "before,graph").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var variants = names.Select(n => Known.FirstOrDefault(v => v.Name == n)
            ?? throw new ArgumentException($"--variants takes {string.Join(", ", Known.Select(v => v.Name))}; '{n}' is none of them.")).ToList();
        var output = Value("--out") ?? Path.Combine(Tests.Support.LivePreviewHost.RepositoryRoot, "artifacts", "bench", quick ? "paint-quick.md" : "paint.md");
        return new PaintBenchOptions(int.Parse(Value("--runs") ?? (quick ? "3" : "9"), CultureInfo.InvariantCulture), variants, output);
    }
}
