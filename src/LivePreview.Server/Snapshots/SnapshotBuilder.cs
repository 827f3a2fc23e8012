using System.Text.Json;

namespace LivePreview.Snapshots;

/// <summary>
/// Builds one snapshot in a hidden work folder and renames it into place only when it is complete,
/// so a snapshot folder with a manifest is never half-built.
/// </summary>
internal sealed class SnapshotBuilder(SnapshotLayout layout, DepCacheWarmer warmer, SnapshotOptions options, TimeProvider time)
{
    /// <summary>Packages whose versions the manifest records, when the template has them.</summary>
    private static readonly string[] KeyPackages = ["vite", "@vitejs/plugin-react", "@vitejs/plugin-vue", "react", "react-dom", "vue", "next", "typescript"];

    /// <summary>Installed or generated in place; a template run by hand may hold them and they must not leak in.</summary>
    private static readonly HashSet<string> NotCopied = ["node_modules", ".next"];

    /// <summary>
    /// Builds the template's snapshot. Unless <paramref name="replaceExisting"/>, a snapshot another
    /// process finished meanwhile wins and this build is discarded.
    /// </summary>
    public async Task<SnapshotManifest> BuildAsync(SnapshotTemplate template, BuildReporter reporter, bool replaceExisting, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        var buildDir = layout.NewWorkDirectory("building", template.SnapshotId);
        var cacheCopy = layout.NewWorkDirectory("vite", template.SnapshotId);
        try
        {
            CopyTree(template.Directory, buildDir);
            await reporter.StepAsync("Installing packages (npm ci)", ct);
            await NpmCi.RunAsync(options.NpmCommand, buildDir, options.BuildTimeout, line => reporter.OutputAsync(line, ct), ct);
            var versions = ReadVersions(buildDir);
            await reporter.StepAsync($"Installed {string.Join(", ", versions.Select(v => $"{v.Key} {v.Value}"))}", ct);
            var warmed = options.WarmDepCache && await warmer.WarmAsync(template.Framework, buildDir, cacheCopy, reporter, ct);
            var manifest = new SnapshotManifest(template.SnapshotId, template.Framework.Name, layout.SnapshotDirectory(template.SnapshotId),
                template.LockFileHash, versions, time.GetUtcNow(), Math.Round(time.GetElapsedTime(started).TotalSeconds, 1), warmed);
            SnapshotLayout.WriteManifest(buildDir, manifest);
            return MoveIntoPlace(buildDir, template, manifest, replaceExisting);
        }
        finally
        {
            DeleteIfExists(buildDir);
            DeleteIfExists(cacheCopy);
        }
    }

    /// <summary>
    /// A rebuild of the same lock file meets the old folder at the same path. Sandboxes may sit on it
    /// (an overlay's lower folder must not change under it), so it is renamed aside, not deleted;
    /// pruning removes it later like any superseded snapshot.
    /// </summary>
    private SnapshotManifest MoveIntoPlace(string buildDir, SnapshotTemplate template, SnapshotManifest manifest, bool replaceExisting)
    {
        var target = manifest.Directory;
        if (Directory.Exists(target))
        {
            if (!replaceExisting && layout.FindCurrent(template) is { } theirs)
            {
                return theirs;
            }
            Directory.Move(target, $"{target}.replaced-{time.GetUtcNow():yyyyMMddHHmmssfff}");
        }
        Directory.Move(buildDir, target);
        return manifest;
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
        foreach (var dir in Directory.EnumerateDirectories(from).Where(d => !NotCopied.Contains(Path.GetFileName(d))))
        {
            CopyTree(dir, Path.Combine(to, Path.GetFileName(dir)));
        }
    }

    private static Dictionary<string, string> ReadVersions(string buildDir)
    {
        var versions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var package in KeyPackages)
        {
            var file = Path.Combine(buildDir, "node_modules", package, "package.json");
            if (File.Exists(file))
            {
                using var json = JsonDocument.Parse(File.ReadAllBytes(file));
                if (json.RootElement.TryGetProperty("version", out var version) && version.GetString() is { } text)
                {
                    versions[package] = text;
                }
            }
        }
        return versions;
    }

    private static void DeleteIfExists(string dir)
    {
        if (Directory.Exists(dir))
        {
            SnapshotLayout.DeleteDirectory(dir);
        }
    }
}
