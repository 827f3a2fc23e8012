namespace LivePreview.Tests.Sandboxes.Local;

/// <summary>Copying a workspace out (snapshot builds) never follows what the sandbox planted and never carries set-id bits to the host.</summary>
public sealed class WorkspaceCopyTests : IAsyncLifetime
{
    private readonly LocalSandboxHarness _harness = new("10.236", ownFirewallTable: true);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Links_stay_links_set_id_bits_are_dropped_and_fifos_are_skipped()
    {
        var id = await _harness.CreateAsync();
        var planted = await _harness.RunAsync(id, "sh", "-c",
            "mkdir -p node_modules/pkg && echo 'hi' > node_modules/pkg/tool && chmod 6755 node_modules/pkg/tool"
            + " && ln -s /etc/shadow node_modules/pkg/package.json && ln -s ../pkg/tool node_modules/pkg/bin && mkfifo node_modules/pkg/pipe && echo done");
        Assert.Equal("done", planted.Output.Trim());
        Assert.True(new FileInfo(Path.Join(_harness.Root, id, "merged", "node_modules", "pkg", "tool")).UnixFileMode.HasFlag(UnixFileMode.SetUser));
        var target = Path.Combine(_harness.Directory, "copied");

        var copied = await _harness.Provider.CopyWorkspaceAsync(id, target, LocalSandboxHarness.Timeout);

        var pkg = Path.Combine(target, "node_modules", "pkg");
        Assert.Equal("/etc/shadow", new FileInfo(Path.Combine(pkg, "package.json")).LinkTarget);
        Assert.Equal("../pkg/tool", new FileInfo(Path.Combine(pkg, "bin")).LinkTarget);
        Assert.Equal("hi\n", await File.ReadAllTextAsync(Path.Combine(pkg, "tool")));
        var mode = new FileInfo(Path.Combine(pkg, "tool")).UnixFileMode;
        Assert.False(mode.HasFlag(UnixFileMode.SetUser));
        Assert.False(mode.HasFlag(UnixFileMode.SetGroup));
        Assert.True(mode.HasFlag(UnixFileMode.UserExecute));
        Assert.False(Path.Exists(Path.Combine(pkg, "pipe")));
        Assert.True(File.Exists(Path.Combine(target, "server.js")));
        Assert.True(copied >= 5);
    }

    [Fact]
    public async Task Copying_kills_the_sandbox_processes_first()
    {
        var id = await _harness.CreateAsync();
        var (process, marker) = await _harness.StartTreeAsync(id);
        await using (process)
        {
            await _harness.Provider.CopyWorkspaceAsync(id, Path.Combine(_harness.Directory, "copied"), LocalSandboxHarness.Timeout);

            Assert.Empty(LocalSandboxHarness.HostProcessesWith(marker));
            Assert.True(process.Exited.IsCompleted);
        }
    }
}
