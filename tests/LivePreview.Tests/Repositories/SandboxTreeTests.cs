using LivePreview.Repositories;
using LivePreview.Repositories.Detection;
using LivePreview.Sandboxes.Local;

namespace LivePreview.Tests.Repositories;

/// <summary>SandboxTree over the local provider's real file system on a real overlay (the tests run as root, as the service does).</summary>
public sealed class SandboxTreeTests : IDisposable
{
    private readonly RepositoryFixture _repo = new();
    private readonly string _merged;

    public SandboxTreeTests()
    {
        _merged = Path.GetFullPath(Path.Join(_repo.Outside, "..", "merged"));
        var (upper, work) = (Path.Join(_repo.Outside, "..", "upper"), Path.Join(_repo.Outside, "..", "work"));
        foreach (var directory in new[] { _merged, upper, work })
        {
            Directory.CreateDirectory(directory);
        }
        Mounted = () =>
        {
            if (LibC.Mount("overlay", _merged, "overlay", LibC.MS_NOSUID | LibC.MS_NODEV, OverlayOptions.For(_repo.Root, Path.GetFullPath(upper), Path.GetFullPath(work))) != 0)
            {
                throw LibC.Error("Mounting the overlay on", _merged, LibC.LastError);
            }
            return new SandboxTree(new LocalSandboxFileSystem(_merged, "detect-test", new SandboxOwner(0, 0)));
        };
    }

    /// <summary>Mounts once the fixture is written (an overlay's lower layer must not change under it).</summary>
    private Func<SandboxTree> Mounted { get; }

    public void Dispose()
    {
        OverlayMount.Unmount(_merged);
        _repo.Dispose();
    }

    [Fact]
    public async Task A_pnpm_link_inside_the_workspace_is_followed_to_the_installed_tool()
    {
        _repo.Package("", """{ "vite": "^5" }""", """{ "dev": "vite --mode dev" }""")
            .Installed("node_modules/.pnpm/vite@5.4.11/node_modules", "vite", "5.4.11", "bin/vite.js", "vite")
            .Link("node_modules/vite", ".pnpm/vite@5.4.11/node_modules/vite");
        var tree = Mounted();
        var detector = new AppDetector();

        var plan = await detector.PlanDevServerAsync(await detector.DetectAsync(tree, null, CancellationToken.None), tree, null, CancellationToken.None);

        Assert.Equal(["node", "node_modules/vite/bin/vite.js", "--mode", "dev", "--host", "0.0.0.0", "--port", "5173", "--strictPort"], plan.Command);
        Assert.Equal("5.4.11", plan.DevToolVersion);
    }

    [Fact]
    public async Task A_link_out_of_the_workspace_is_absent()
    {
        _repo.Link("package.json", _repo.WriteOutside("package.json", """{ "scripts": { "dev": "next dev" }, "dependencies": { "next": "^15" } }"""))
            .Link("out", _repo.Outside);
        var tree = Mounted();

        Assert.Null(await tree.ReadTextAsync("package.json", 1000, CancellationToken.None));
        Assert.False(await tree.FileExistsAsync("package.json", CancellationToken.None));
        Assert.Empty(await tree.ListDirectoriesAsync("out", CancellationToken.None));
        await Assert.ThrowsAsync<AppDetectionException>(() => new AppDetector().DetectAsync(tree, null, CancellationToken.None));
    }

    [Fact]
    public async Task Reads_are_bounded_and_a_fifo_does_not_hang()
    {
        _repo.Write("a.txt", "12345").Write("dir/x", "");
        _repo.Fifo("pipe");
        var tree = Mounted();

        Assert.Equal("12345", await tree.ReadTextAsync("a.txt", 5, CancellationToken.None));
        Assert.Null(await tree.ReadTextAsync("a.txt", 4, CancellationToken.None));
        Assert.Equal("123", await tree.ReadHeadAsync("a.txt", 3, CancellationToken.None));
        Assert.Null(await Task.Run(() => tree.ReadTextAsync("pipe", 100, CancellationToken.None)).WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(["dir"], await tree.ListDirectoriesAsync("", CancellationToken.None));
    }
}
