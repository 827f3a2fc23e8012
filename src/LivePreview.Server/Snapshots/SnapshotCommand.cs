using LivePreview.Frameworks;

namespace LivePreview.Snapshots;

/// <summary>
/// <c>livepreview snapshots build [framework...]</c> and <c>livepreview snapshots list</c>.
/// Exit codes: 0 done, 1 a build failed, 2 bad usage.
/// </summary>
internal static class SnapshotCommand
{
    public static async Task<int> RunAsync(IServiceProvider services, string[] args, TextWriter output, CancellationToken ct)
    {
        // Accept the arguments with or without the leading "snapshots" word.
        var rest = args is ["snapshots", .. var tail] ? tail : args;
        return rest switch
        {
            ["build", .. var names] => await BuildAsync(services, names, output, ct),
            ["list"] => List(services, output),
            _ => Usage(output),
        };
    }

    private static async Task<int> BuildAsync(IServiceProvider services, string[] names, TextWriter output, CancellationToken ct)
    {
        var unknown = names.Where(n => !FrameworkCatalog.TryGet(n, out _)).ToList();
        if (unknown.Count > 0)
        {
            output.WriteLine($"Unknown framework {string.Join(", ", unknown.Select(n => $"'{n}'"))}. Known frameworks: {FrameworkCatalog.Names}.");
            return 2;
        }
        var frameworks = names.Length == 0 ? FrameworkCatalog.All : names.Distinct().Select(n => FrameworkCatalog.All.First(f => f.Name == n)).ToList();
        var store = services.GetRequiredService<ISnapshotStore>();
        var failed = 0;
        foreach (var framework in frameworks)
        {
            failed += await BuildOneAsync(store, framework, output, ct) ? 0 : 1;
        }
        output.WriteLine(failed == 0 ? $"Built {frameworks.Count} snapshot(s)." : $"{failed} of {frameworks.Count} snapshot build(s) failed.");
        return failed == 0 ? 0 : 1;
    }

    private static async Task<bool> BuildOneAsync(ISnapshotStore store, FrameworkDefinition framework, TextWriter output, CancellationToken ct)
    {
        try
        {
            var manifest = await store.RebuildAsync(framework, new LinePrinter(output, framework.Name), ct);
            output.WriteLine($"Built {manifest.Id} in {manifest.BuildSeconds:0.0} s");
            output.WriteLine($"  directory  {manifest.Directory}");
            output.WriteLine($"  versions   {Versions(manifest)}");
            output.WriteLine($"  dep cache  {(manifest.DepCacheWarmed ? "warmed" : "none")}");
            return true;
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            output.WriteLine($"[{framework.Name}] FAILED: {ex.Message}");
            return false;
        }
    }

    private static int List(IServiceProvider services, TextWriter output)
    {
        var store = services.GetRequiredService<ISnapshotStore>();
        var layout = services.GetRequiredService<SnapshotLayout>();
        var current = FrameworkCatalog.All
            .Select(store.TryGetCurrent)
            .OfType<SnapshotManifest>()
            .Select(m => m.Directory)
            .ToHashSet(StringComparer.Ordinal);
        var snapshots = layout.List();
        if (snapshots.Count == 0)
        {
            output.WriteLine($"No snapshots in {layout.Root}. Build them with: livepreview snapshots build");
            return 0;
        }
        output.WriteLine($"{"ID",-26} {"FRAMEWORK",-11} {"BUILT AT (UTC)",-17} {"STATE",-8} VERSIONS");
        foreach (var m in snapshots)
        {
            output.WriteLine($"{m.Id,-26} {m.Framework,-11} {m.BuiltAt.UtcDateTime:yyyy-MM-dd HH:mm} {State(m, current),-8} {Versions(m)}");
        }
        return 0;
    }

    private static int Usage(TextWriter output)
    {
        output.WriteLine("Usage: livepreview snapshots build [framework...]   build (or rebuild) snapshots; all frameworks if none named");
        output.WriteLine("       livepreview snapshots list                   list built snapshots and whether they are current");
        output.WriteLine($"Frameworks: {FrameworkCatalog.Names}");
        return 2;
    }

    /// <summary>A rebuild of the same lock file leaves the old folder renamed aside until pruned: "replaced".</summary>
    private static string State(SnapshotManifest manifest, HashSet<string> current) =>
        current.Contains(manifest.Directory) ? "current"
        : Path.GetFileName(manifest.Directory) != manifest.Id ? "replaced"
        : "stale";

    private static string Versions(SnapshotManifest manifest) =>
        manifest.Versions.Count == 0 ? "-" : string.Join(", ", manifest.Versions.Select(v => $"{v.Key} {v.Value}"));

    /// <summary>Prints each progress line as it comes, prefixed with the framework (synchronously, unlike Progress&lt;T&gt;).</summary>
    private sealed class LinePrinter(TextWriter output, string framework) : IProgress<string>
    {
        private readonly Lock _gate = new();

        public void Report(string value)
        {
            lock (_gate)
            {
                output.WriteLine($"[{framework}] {value}");
            }
        }
    }
}
