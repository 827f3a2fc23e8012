using LivePreview.Frameworks;
using LivePreview.Snapshots;
using Microsoft.Extensions.Logging.Abstractions;

namespace LivePreview.Tests.Snapshots;

/// <summary>The warm-up path against a fake sandbox whose "dev server" is a real HTTP server.</summary>
public sealed class DepCacheWarmingTests : IDisposable
{
    private readonly TinyTemplates _templates = new();
    private readonly string _buildDir;
    private readonly string _cacheCopy;

    public DepCacheWarmingTests()
    {
        _templates.Options.WarmDepCache = true;
        _buildDir = Path.Combine(_templates.Root, "build");
        _cacheCopy = Path.Combine(_templates.Root, "cache-copy");
        Directory.CreateDirectory(Path.Combine(_buildDir, "node_modules"));
    }

    [Fact]
    public async Task A_vite_build_gets_the_dep_cache_the_dev_server_wrote_inside_the_sandbox()
    {
        var provider = new PageServingSandboxProvider(_templates.Root);

        var warmed = await WarmAsync(provider, FrameworkCatalog.ReactVite);

        Assert.True(warmed);
        Assert.True(File.Exists(Path.Combine(_buildDir, "node_modules", ".vite", "deps", "_metadata.json")));
        Assert.True(File.Exists(Path.Combine(_buildDir, "node_modules", ".vite", "deps", "react.js")));
        Assert.Equal(FrameworkCatalog.ReactVite.DevServerCommand(5173, null), provider.Command);
    }

    [Fact]
    public async Task The_warm_up_sandbox_is_deleted_before_the_cache_moves_into_the_folder_under_it()
    {
        var provider = new PageServingSandboxProvider(_templates.Root);

        await WarmAsync(provider, FrameworkCatalog.VueVite);

        Assert.True(provider.Deleted);
        Assert.False(provider.SnapshotHadCacheBeforeDelete);
        Assert.Equal(_buildDir, provider.SnapshotDirectory);
        Assert.False(Directory.Exists(_cacheCopy));
    }

    [Fact]
    public async Task A_next_build_warms_no_cache_and_uses_no_sandbox_for_it()
    {
        Assert.False(await WarmAsync(new UnusedSandboxProvider(), FrameworkCatalog.Next));
    }

    public void Dispose() => _templates.Dispose();

    private async Task<bool> WarmAsync(LivePreview.Sandboxes.ISandboxProvider provider, FrameworkDefinition framework)
    {
        var template = _templates.Layout.ReadTemplate(framework);
        var reporter = new BuildReporter(_templates.Events, NullLogger.Instance, TimeProvider.System, template);
        var warmer = new DepCacheWarmer(provider, NullLogger.Instance, TimeProvider.System, _templates.Options);
        return await warmer.WarmAsync(framework, _buildDir, _cacheCopy, reporter, CancellationToken.None);
    }
}
