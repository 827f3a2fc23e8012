namespace LivePreview.Bench;

/// <summary>Sample counts for a full run (about 4–6 minutes on 2 cores) and for <c>--quick</c> (a smoke run).</summary>
internal sealed record BenchOptions(
    bool Quick,
    int ColdReact,
    int ColdVue,
    int HmrWarmUp,
    int HmrEdits,
    int LoadConcurrency,
    TimeSpan LoadDuration,
    int LoadRounds,
    int WorkspaceSamples,
    int PromptWarmUp,
    int Prompts,
    int Commands,
    int Keystrokes,
    int Questions,
    int PaintWarmUp,
    int PaintEdits,
    string Output,
    IReadOnlySet<string> Only)
{
    public static readonly string[] Parts = ["cold", "hmr", "load", "workspace", "prompt", "command", "terminal", "question", "paint"];

    /// <summary>Whether a part runs: all of them unless <c>--only</c> named some (a partial table is then written to core-partial.md).</summary>
    public bool Runs(string part) => Only.Count == 0 || Only.Contains(part);

    private const string Usage =
        "usage: dotnet run --project bench/LivePreview.Bench -c Release [-- [--quick] [--only cold,hmr,load,workspace,prompt,command,terminal,question,paint] [--out FILE]]";

    public static BenchOptions Parse(string[] args)
    {
        var quick = false;
        string? output = null;
        var only = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--out" when i + 1 < args.Length:
                    output = args[++i];
                    break;
                case "--only" when i + 1 < args.Length:
                    foreach (var part in args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        only.Add(Parts.Contains(part) ? part : throw new ArgumentException($"--only takes {string.Join(", ", Parts)}; not '{part}'."));
                    }
                    break;
                case "-h" or "--help":
                    throw new ArgumentException(Usage);
                default:
                    throw new ArgumentException($"Unknown argument '{args[i]}'.\n{Usage}");
            }
        }
        var name = quick ? "core-quick.md" : only.Count > 0 ? "core-partial.md" : "core.md";
        output ??= Path.Combine(Tests.Support.LivePreviewHost.RepositoryRoot, "artifacts", "bench", name);
        return quick
            ? new(true, ColdReact: 3, ColdVue: 2, HmrWarmUp: 2, HmrEdits: 6, LoadConcurrency: 32, TimeSpan.FromSeconds(2), LoadRounds: 1, WorkspaceSamples: 2, PromptWarmUp: 1, Prompts: 5, Commands: 10, Keystrokes: 30, Questions: 10, PaintWarmUp: 2, PaintEdits: 6, output, only)
            : new(false, ColdReact: 10, ColdVue: 5, HmrWarmUp: 3, HmrEdits: 20, LoadConcurrency: 32, TimeSpan.FromSeconds(2.5), LoadRounds: 4, WorkspaceSamples: 5, PromptWarmUp: 2, Prompts: 15, Commands: 30, Keystrokes: 100, Questions: 30, PaintWarmUp: 3, PaintEdits: 20, output, only);
    }
}
