using System.Globalization;
using LivePreview.Tests.Support;

namespace LivePreview.CorpusBench;

/// <summary>Command line: <c>[--rounds 3] [--only next-app,vite-vue] [--timeout 600] [--out file.md]</c>.</summary>
internal sealed record CorpusBenchOptions(int Rounds, IReadOnlyList<CorpusApp> Apps, TimeSpan AttemptTimeout, string Output)
{
    public static CorpusBenchOptions Parse(string[] args)
    {
        string? Value(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }
        var rounds = int.Parse(Value("--rounds") ?? "3", CultureInfo.InvariantCulture);
        if (rounds < 1)
        {
            throw new ArgumentException("--rounds takes a number of at least 1.");
        }
        var only = (Value("--only") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (only.FirstOrDefault(n => Corpus.Apps.All(a => a.Name != n)) is { } unknown)
        {
            throw new ArgumentException($"--only takes apps of tests/corpus/corpus.json ({string.Join(", ", Corpus.Apps.Select(a => a.Name))}); '{unknown}' is none of them.");
        }
        var apps = only.Length == 0 ? Corpus.Apps : [.. Corpus.Apps.Where(a => only.Contains(a.Name))];
        var output = Value("--out") ?? Path.Combine(LivePreviewHost.RepositoryRoot, "artifacts", "bench", only.Length == 0 ? "corpus.md" : "corpus-partial.md");
        return new CorpusBenchOptions(rounds, apps, TimeSpan.FromSeconds(double.Parse(Value("--timeout") ?? "600", CultureInfo.InvariantCulture)), output);
    }
}
