using LivePreview.Frameworks;

namespace LivePreview.Snapshots;

/// <summary>
/// Built framework snapshots: the template plus its installed node_modules and a warmed
/// dep-optimizer cache, each recorded in a manifest. Sandboxes are created on top of a snapshot
/// directory, which is never written to once it is built.
/// </summary>
public interface ISnapshotStore
{
    /// <summary>
    /// Returns the current snapshot of the framework, building it first when it is missing or when
    /// the template's lock file changed. Concurrent callers share one build. Progress goes to the
    /// logs and the event bus (SNAPSHOT_BUILD_STARTED / _PROGRESS / _COMPLETED / _FAILED).
    /// </summary>
    Task<SnapshotManifest> EnsureAsync(FrameworkDefinition framework, CancellationToken cancellationToken);

    /// <summary>Builds the framework's snapshot even if a current one exists.</summary>
    Task<SnapshotManifest> RebuildAsync(FrameworkDefinition framework, IProgress<string>? progress, CancellationToken cancellationToken);

    /// <summary>The current snapshot if it is built and matches the template's lock file; null otherwise.</summary>
    SnapshotManifest? TryGetCurrent(FrameworkDefinition framework);

    /// <summary>
    /// The directory of a built snapshot by id (current or older), or null if it no longer exists.
    /// Sandboxes made from an older snapshot keep using it after a rebuild, so old snapshots that a
    /// sandbox still uses must not be deleted.
    /// </summary>
    string? DirectoryOf(string snapshotId);
}

/// <summary>What a snapshot was built from; stored as manifest.json inside the snapshot directory.</summary>
public sealed record SnapshotManifest(
    string Id,
    string Framework,
    string Directory,
    string LockFileHash,
    IReadOnlyDictionary<string, string> Versions,
    DateTimeOffset BuiltAt,
    double BuildSeconds,
    bool DepCacheWarmed);
