using System.Text.Json;
using LivePreview.Sandboxes;

namespace LivePreview.Snapshots;

/// <summary>
/// Builds one snapshot in a hidden work folder and renames it into place only when it is complete,
/// so a snapshot folder with a manifest is never half-built. <c>npm ci</c> runs in a sandbox made from
/// a copy of the template, like any other sandbox (network only to the registry, through the egress
/// proxy; no service secret in its environment; it dies with the service); the installed tree is then
/// copied out of the sandbox into the build folder.
/// </summary>
internal sealed class SnapshotBuilder(SnapshotLayout layout, ISandboxProvider provider, NpmCi npm, DepCacheWarmer warmer, SnapshotOptions options,
    ILogger logger, TimeProvider time)
{
    /// <summary>package.json files are small; anything bigger is not one npm wrote.</summary>
    private const int MaxPackageJsonBytes = 1024 * 1024;

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
            var versions = await InstallInSandboxAsync(template, buildDir, reporter, ct);
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

    /// <summary>The template (without node_modules) is the sandbox's lower layer; what npm installed is copied into <paramref name="buildDir"/>.</summary>
    private async Task<Dictionary<string, string>> InstallInSandboxAsync(SnapshotTemplate template, string buildDir, BuildReporter reporter, CancellationToken ct)
    {
        if (provider is not ISandboxWorkspaceCopy copier)
        {
            throw new SnapshotException($"The sandbox provider '{provider.Name}' cannot copy a workspace out, so it cannot build snapshots.");
        }
        var source = layout.NewWorkDirectory("template", template.SnapshotId);
        var sandboxId = SandboxId.New();
        try
        {
            CopyTree(template.Directory, source);
            await provider.CreateAsync(new SandboxSpec(sandboxId, source), ct);
            await reporter.StepAsync($"Installing packages (npm ci) in sandbox {sandboxId}", ct);
            await npm.RunAsync(sandboxId, line => reporter.OutputAsync(line, ct), ct);
            var versions = await ReadVersionsAsync(provider.Files(sandboxId), ct);
            var files = await copier.CopyWorkspaceAsync(sandboxId, buildDir, ct);
            await reporter.StepAsync($"Copied {files} installed files out of the sandbox", ct);
            return versions;
        }
        finally
        {
            await DeleteSandboxQuietlyAsync(sandboxId);
            DeleteIfExists(source);
        }
    }

    private async Task DeleteSandboxQuietlyAsync(string sandboxId)
    {
        try
        {
            await provider.DeleteAsync(sandboxId, CancellationToken.None);
        }
        catch (Exception ex)
        {
            SnapshotLog.WarmUpSandboxNotDeleted(logger, sandboxId, ex);
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

    /// <summary>Read through the sandbox's file API: the tree is the sandbox's, so a symlink in it must not lead the host anywhere.</summary>
    private static async Task<Dictionary<string, string>> ReadVersionsAsync(ISandboxFileSystem files, CancellationToken ct)
    {
        var versions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var package in KeyPackages)
        {
            if (await ReadVersionAsync(files, $"node_modules/{package}/package.json", ct) is { } version)
            {
                versions[package] = version;
            }
        }
        return versions;
    }

    private static async Task<string?> ReadVersionAsync(ISandboxFileSystem files, string path, CancellationToken ct)
    {
        try
        {
            await using var stream = await files.OpenReadAsync(path, ct);
            if (stream is null)
            {
                return null;
            }
            var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, ct);
            if (buffer.Length > MaxPackageJsonBytes)
            {
                return null;
            }
            using var json = JsonDocument.Parse(buffer.ToArray());
            return json.RootElement.TryGetProperty("version", out var version) && version.ValueKind == JsonValueKind.String
                ? version.GetString() is { Length: <= 64 } text ? text : null
                : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidWorkspacePathException)
        {
            return null;
        }
    }

    private static void DeleteIfExists(string dir)
    {
        if (Directory.Exists(dir))
        {
            SnapshotLayout.DeleteDirectory(dir);
        }
    }
}
