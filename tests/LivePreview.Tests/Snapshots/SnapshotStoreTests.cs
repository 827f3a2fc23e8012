using System.Security.Cryptography;
using LivePreview.Events;
using LivePreview.Frameworks;
using LivePreview.Snapshots;

namespace LivePreview.Tests.Snapshots;

/// <summary>The store against real npm ci, on templates without dependencies.</summary>
public sealed class SnapshotStoreTests : IDisposable
{
    private readonly TinyTemplates _templates = new();

    private static FrameworkDefinition React => FrameworkCatalog.ReactVite;

    [Fact]
    public async Task Ensure_builds_a_snapshot_named_after_the_lock_file_with_a_manifest()
    {
        using var store = _templates.CreateStore();

        var manifest = await store.EnsureAsync(React, CancellationToken.None);

        var lockHash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(_templates.TemplatesDirectory, "react-vite", "package-lock.json"))));
        Assert.Equal($"react-vite-{lockHash[..12]}", manifest.Id);
        Assert.Equal(lockHash, manifest.LockFileHash);
        Assert.Equal(Path.Combine(_templates.SnapshotRoot, manifest.Id), manifest.Directory);
        Assert.True(File.Exists(Path.Combine(manifest.Directory, "manifest.json")));
        Assert.True(File.Exists(Path.Combine(manifest.Directory, "index.html")));
        Assert.False(manifest.DepCacheWarmed);
        Assert.Equal(manifest.BuiltAt, store.TryGetCurrent(React)?.BuiltAt);
        Assert.Equal([manifest.Id], _templates.SnapshotRootEntries());
    }

    [Fact]
    public async Task Ensure_publishes_started_and_completed_events_about_the_snapshot()
    {
        using var store = _templates.CreateStore();

        var manifest = await store.EnsureAsync(React, CancellationToken.None);

        var types = _templates.Events.Events.Select(e => e.Type).Where(t => t != EventTypes.SnapshotBuildProgress).ToList();
        Assert.Equal([EventTypes.SnapshotBuildStarted, EventTypes.SnapshotBuildCompleted], types);
        Assert.All(_templates.Events.Events, e =>
        {
            Assert.Equal("snapshot", e.EntityType);
            Assert.Equal(manifest.Id, e.EntityId);
            Assert.Null(e.SandboxId);
            Assert.Equal("react-vite", e.Payload!.Value.GetProperty("framework").GetString());
            Assert.False(string.IsNullOrEmpty(e.Payload!.Value.GetProperty("message").GetString()));
        });
    }

    [Fact]
    public async Task Ensure_returns_the_current_snapshot_without_building_again()
    {
        using var store = _templates.CreateStore();
        var first = await store.EnsureAsync(React, CancellationToken.None);

        var second = await store.EnsureAsync(React, CancellationToken.None);

        Assert.Equal(first.BuiltAt, second.BuiltAt);
        Assert.Single(_templates.Events.OfType(EventTypes.SnapshotBuildStarted));
    }

    [Fact]
    public async Task A_changed_lock_file_makes_the_snapshot_stale_and_Ensure_builds_a_new_one()
    {
        using var store = _templates.CreateStore();
        var old = await store.EnsureAsync(React, CancellationToken.None);

        _templates.Write("react-vite", "1.0.1");

        Assert.Null(store.TryGetCurrent(React));
        var fresh = await store.EnsureAsync(React, CancellationToken.None);
        Assert.NotEqual(old.Id, fresh.Id);
        Assert.Equal(fresh.Id, store.TryGetCurrent(React)?.Id);
        Assert.Equal(old.Directory, store.DirectoryOf(old.Id));
    }

    [Fact]
    public async Task Concurrent_Ensure_calls_share_one_build()
    {
        using var store = _templates.CreateStore();

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => store.EnsureAsync(React, CancellationToken.None))));

        Assert.Single(results.Select(m => m.Id).Distinct());
        Assert.Single(_templates.Events.OfType(EventTypes.SnapshotBuildStarted));
    }

    [Fact]
    public async Task A_caller_that_gives_up_does_not_cancel_the_build_another_caller_waits_for()
    {
        using var store = _templates.CreateStore();
        using var impatient = new CancellationTokenSource();

        var givingUp = store.EnsureAsync(React, impatient.Token);
        var waiting = store.EnsureAsync(React, CancellationToken.None);
        impatient.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => givingUp);
        var manifest = await waiting;
        Assert.True(Directory.Exists(manifest.Directory));
        Assert.Empty(_templates.Events.OfType(EventTypes.SnapshotBuildFailed));
    }

    [Fact]
    public async Task Rebuild_builds_again_even_when_the_snapshot_is_current()
    {
        using var store = _templates.CreateStore();
        var first = await store.EnsureAsync(React, CancellationToken.None);
        var lines = new List<string>();

        var rebuilt = await store.RebuildAsync(React, new SyncProgress(lines), CancellationToken.None);

        Assert.Equal(first.Id, rebuilt.Id);
        Assert.True(rebuilt.BuiltAt > first.BuiltAt);
        Assert.Equal(2, _templates.Events.OfType(EventTypes.SnapshotBuildStarted).Count);
        Assert.Contains(lines, l => l.Contains("npm ci", StringComparison.Ordinal));
        Assert.Equal(rebuilt.BuiltAt, store.TryGetCurrent(React)?.BuiltAt);
    }

    [Fact]
    public async Task A_bad_lock_file_fails_the_build_with_an_event_and_leaves_nothing_half_built()
    {
        using var store = _templates.CreateStore();
        _templates.BreakLockFile("react-vite");

        var error = await Assert.ThrowsAsync<SnapshotException>(() => store.EnsureAsync(React, CancellationToken.None));

        Assert.Contains("npm ci failed", error.Message, StringComparison.Ordinal);
        Assert.Contains("left-pad", error.Message, StringComparison.Ordinal);
        var failed = Assert.Single(_templates.Events.OfType(EventTypes.SnapshotBuildFailed));
        Assert.Contains("npm ci failed", failed.Payload!.Value.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(_templates.SnapshotRootEntries());
        Assert.Null(store.TryGetCurrent(React));
    }

    [Fact]
    public async Task Old_snapshots_beyond_the_kept_one_are_deleted_unless_a_sandbox_uses_them()
    {
        using var store = _templates.CreateStore();
        var v1 = await store.EnsureAsync(React, CancellationToken.None);
        _templates.Usage.InUse.Add(v1.Id);
        var v2 = await BuildVersionAsync(store, "2.0.0");
        var v3 = await BuildVersionAsync(store, "3.0.0");

        var v4 = await BuildVersionAsync(store, "4.0.0");

        Assert.NotNull(store.DirectoryOf(v4.Id));
        Assert.NotNull(store.DirectoryOf(v3.Id));
        Assert.Null(store.DirectoryOf(v2.Id));
        Assert.NotNull(store.DirectoryOf(v1.Id));
        Assert.Equal(new[] { v1.Id, v3.Id, v4.Id }.Order(), _templates.SnapshotRootEntries());
    }

    [Fact]
    public async Task Snapshots_of_other_frameworks_are_not_pruned()
    {
        _templates.Options.KeepOldSnapshots = 0;
        using var store = _templates.CreateStore();
        var vue = await store.EnsureAsync(FrameworkCatalog.VueVite, CancellationToken.None);
        await store.EnsureAsync(React, CancellationToken.None);

        await BuildVersionAsync(store, "2.0.0");

        Assert.NotNull(store.DirectoryOf(vue.Id));
    }

    [Fact]
    public void DirectoryOf_rejects_ids_that_are_not_snapshot_ids()
    {
        using var store = _templates.CreateStore();

        Assert.Null(store.DirectoryOf("../react-vite-0123456789ab"));
        Assert.Null(store.DirectoryOf("react-vite-0123456789ab"));
        Assert.Null(store.DirectoryOf(""));
    }

    public void Dispose() => _templates.Dispose();

    private async Task<SnapshotManifest> BuildVersionAsync(SnapshotStore store, string version)
    {
        _templates.Write("react-vite", version);
        return await store.EnsureAsync(React, CancellationToken.None);
    }

    private sealed class SyncProgress(List<string> lines) : IProgress<string>
    {
        public void Report(string value)
        {
            lock (lines)
            {
                lines.Add(value);
            }
        }
    }
}
