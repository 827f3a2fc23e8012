using System.Security.Cryptography;
using System.Text.Json;
using LivePreview.Frameworks;
using LivePreview.Hosting;
using Microsoft.Extensions.Options;

namespace LivePreview.Snapshots;

/// <summary>
/// A framework's template as it is now, and the snapshot it should have: <c>LockFileHash</c> is the
/// SHA-256 (hex) of its package-lock.json, <c>SnapshotId</c> is <c>{framework}-{first 12 hex}</c>,
/// so a changed lock file names a new snapshot.
/// </summary>
internal sealed record SnapshotTemplate(FrameworkDefinition Framework, string Directory, string LockFileHash, string SnapshotId);

/// <summary>
/// Where templates and snapshots are on disk: <c>{Root}/{id}/manifest.json</c> for built snapshots,
/// dot-prefixed folders for builds in progress. Knows nothing about how a snapshot is built.
/// </summary>
internal sealed class SnapshotLayout(IOptions<SnapshotOptions> options, IOptions<LivePreviewOptions> hosting)
{
    public const string ManifestFile = "manifest.json";
    public const string LockFile = "package-lock.json";

    // PublicationOnly: a missing templates folder is reported again on the next call rather than cached forever.
    private readonly Lazy<string> _templates = new(() => TemplateLocator.Find(hosting.Value.TemplatesDirectory), LazyThreadSafetyMode.PublicationOnly);

    public string Root { get; } = options.Value.Root is { Length: > 0 } root
        ? Path.GetFullPath(root)
        : Path.Combine(hosting.Value.ResolveDataDirectory(), "snapshots");

    public string TemplatesRoot => _templates.Value;

    public SnapshotTemplate ReadTemplate(FrameworkDefinition framework)
    {
        var dir = Path.Combine(TemplatesRoot, framework.Name);
        var lockFile = Path.Combine(dir, LockFile);
        if (!File.Exists(lockFile))
        {
            throw new SnapshotException($"The {framework.Name} template has no {LockFile} at '{lockFile}'; run npm install in '{dir}' and commit the lock file.");
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(lockFile)));
        return new SnapshotTemplate(framework, dir, hash, $"{framework.Name}-{hash[..12]}");
    }

    public string SnapshotDirectory(string snapshotId) => Path.Combine(Root, snapshotId);

    /// <summary>The snapshot built from the template as it is now, or null.</summary>
    public SnapshotManifest? FindCurrent(SnapshotTemplate template)
    {
        var manifest = ReadManifest(SnapshotDirectory(template.SnapshotId));
        return manifest is not null && manifest.LockFileHash == template.LockFileHash ? manifest : null;
    }

    /// <summary>Null when the folder holds no readable manifest (never built, or a build that died before writing it).</summary>
    public static SnapshotManifest? ReadManifest(string directory)
    {
        try
        {
            var json = File.ReadAllBytes(Path.Combine(directory, ManifestFile));
            return JsonSerializer.Deserialize<SnapshotManifest>(json, JsonDefaults.Options) is { } manifest
                ? manifest with { Directory = directory }
                : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    public static void WriteManifest(string directory, SnapshotManifest manifest)
    {
        var options = new JsonSerializerOptions(JsonDefaults.Options) { WriteIndented = true };
        File.WriteAllBytes(Path.Combine(directory, ManifestFile), JsonSerializer.SerializeToUtf8Bytes(manifest, options));
    }

    /// <summary>Every built snapshot, newest first.</summary>
    public IReadOnlyList<SnapshotManifest> List()
    {
        if (!System.IO.Directory.Exists(Root))
        {
            return [];
        }
        return System.IO.Directory.EnumerateDirectories(Root)
            .Where(dir => !Path.GetFileName(dir).StartsWith('.'))
            .Select(ReadManifest)
            .OfType<SnapshotManifest>()
            .OrderByDescending(m => m.BuiltAt)
            .ToList();
    }

    /// <summary>A folder for one build next to the snapshots, so that finishing it is a rename on the same file system.</summary>
    public string NewWorkDirectory(string purpose, string snapshotId) =>
        Path.Combine(Root, $".{purpose}-{snapshotId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}");

    /// <summary>
    /// Deletes the framework's superseded snapshots beyond the newest <paramref name="keep"/>, never
    /// <paramref name="currentDirectory"/> and never one in <paramref name="inUse"/> (sandboxes sit on it).
    /// </summary>
    public IReadOnlyList<string> Prune(string framework, string currentDirectory, int keep, IReadOnlySet<string> inUse)
    {
        var doomed = List()
            .Where(m => m.Framework == framework && !PathsEqual(m.Directory, currentDirectory))
            .Skip(keep)
            .Where(m => !inUse.Contains(m.Id))
            .Select(m => m.Directory)
            .ToList();
        doomed.ForEach(DeleteDirectory);
        return doomed;
    }

    /// <summary>The folder of a built snapshot by id, or null; ids come from the database, so they are checked before use as a path.</summary>
    public string? DirectoryOf(string snapshotId)
    {
        if (!IsSnapshotId(snapshotId))
        {
            return null;
        }
        var dir = SnapshotDirectory(snapshotId);
        return File.Exists(Path.Combine(dir, ManifestFile)) ? dir : null;
    }

    /// <summary><c>{framework}-{12 hex}</c>, with a framework name of lower-case letters, digits and dashes.</summary>
    public static bool IsSnapshotId(string? id) =>
        id is { Length: > 13 }
        && id[^13] == '-'
        && id[^12..].All(char.IsAsciiHexDigitLower)
        && id[..^13].All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
        && char.IsAsciiLetterLower(id[0]);

    /// <summary>Removes work folders of builds that died with their process (nothing runs longer than <paramref name="olderThan"/>).</summary>
    public void DeleteAbandonedWork(string framework, TimeSpan olderThan, DateTimeOffset now)
    {
        if (!System.IO.Directory.Exists(Root))
        {
            return;
        }
        foreach (var dir in new DirectoryInfo(Root).EnumerateDirectories($".*-{framework}-*"))
        {
            if (now - dir.LastWriteTimeUtc > olderThan)
            {
                DeleteDirectory(dir.FullName);
            }
        }
    }

    /// <summary>Renames first so that a half-deleted folder never looks like a snapshot or a build.</summary>
    public static void DeleteDirectory(string directory)
    {
        try
        {
            var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
            var doomed = Path.Combine(Path.GetDirectoryName(full)!, $".deleting-{Path.GetFileName(full)}-{Guid.NewGuid():N}");
            System.IO.Directory.Move(full, doomed);
            System.IO.Directory.Delete(doomed, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private static bool PathsEqual(string a, string b) => string.Equals(
        Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)), Path.TrimEndingDirectorySeparator(Path.GetFullPath(b)), StringComparison.Ordinal);
}
