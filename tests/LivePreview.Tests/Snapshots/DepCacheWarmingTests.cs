using LivePreview.Frameworks;

namespace LivePreview.Tests.Snapshots;

/// <summary>The warm-up path against a fake sandbox whose "dev server" is a real HTTP server.</summary>
public sealed class DepCacheWarmingTests : IDisposable
{
    private readonly TinyTemplates _templates = new();

    public DepCacheWarmingTests() => _templates.Options.WarmDepCache = true;

    [Fact]
    public async Task A_vite_snapshot_carries_the_dep_cache_the_dev_server_wrote_inside_the_sandbox()
    {
        var provider = new PageServingSandboxProvider(_templates.Root);
        using var store = _templates.CreateStore(provider);

        var manifest = await store.EnsureAsync(FrameworkCatalog.ReactVite, CancellationToken.None);

        Assert.True(manifest.DepCacheWarmed);
        Assert.True(File.Exists(Path.Combine(manifest.Directory, "node_modules", ".vite", "deps", "_metadata.json")));
        Assert.True(File.Exists(Path.Combine(manifest.Directory, "node_modules", ".vite", "deps", "react.js")));
        Assert.Equal(FrameworkCatalog.ReactVite.DevServerCommand(5173, null), provider.Command);
    }

    [Fact]
    public async Task The_warm_up_sandbox_is_deleted_before_the_cache_moves_into_the_folder_under_it()
    {
        var provider = new PageServingSandboxProvider(_templates.Root);
        using var store = _templates.CreateStore(provider);

        var manifest = await store.EnsureAsync(FrameworkCatalog.VueVite, CancellationToken.None);

        Assert.True(provider.Deleted);
        Assert.False(provider.SnapshotHadCacheBeforeDelete);
        Assert.NotEqual(manifest.Directory, provider.SnapshotDirectory);
        Assert.Equal([manifest.Id], _templates.SnapshotRootEntries());
    }

    [Fact]
    public async Task A_next_snapshot_is_built_without_a_sandbox()
    {
        using var store = _templates.CreateStore(new UnusedSandboxProvider());

        var manifest = await store.EnsureAsync(FrameworkCatalog.Next, CancellationToken.None);

        Assert.False(manifest.DepCacheWarmed);
    }

    public void Dispose() => _templates.Dispose();
}
