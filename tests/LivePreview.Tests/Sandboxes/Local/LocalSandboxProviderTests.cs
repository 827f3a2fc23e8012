using LivePreview.Sandboxes;
using LivePreview.Sandboxes.Local;
using static LivePreview.Tests.Sandboxes.Local.SandboxTestHelpers;

namespace LivePreview.Tests.Sandboxes.Local;

/// <summary>Create, attach and delete against real overlayfs and network namespaces: idempotent, repairable, and leaving nothing behind.</summary>
public sealed class LocalSandboxProviderTests : IAsyncLifetime
{
    private static readonly CancellationToken Timeout = LocalSandboxHarness.Timeout;
    private readonly LocalSandboxHarness _harness = new("10.231");

    private LocalSandboxProvider Provider => _harness.Provider;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    [Fact]
    public async Task Delete_leaves_no_process_mount_network_namespace_cgroup_or_folder()
    {
        var id = await _harness.CreateAsync();
        var (_, marker) = await _harness.StartTreeAsync(id);

        await Provider.DeleteAsync(id, Timeout);
        await Provider.DeleteAsync(id, Timeout);

        Assert.Empty(LocalSandboxHarness.HostProcessesWith(marker));
        Assert.DoesNotContain(Path.Join(_harness.Root, id), File.ReadAllText("/proc/self/mountinfo"));
        Assert.DoesNotContain($"lp-{id}", await LocalSandboxHarness.RunHostAsync("ip", "netns", "list"));
        Assert.DoesNotContain($"lph{id}", await LocalSandboxHarness.RunHostAsync("ip", "-o", "link"));
        Assert.False(Directory.Exists($"/sys/fs/cgroup/pids/livepreview/{id}"));
        Assert.False(Directory.Exists(Path.Join(_harness.Root, id)));
        Assert.False((await Provider.GetHealthAsync(id, Timeout)).Exists);
        Assert.DoesNotContain(id, await Provider.ListAsync(Timeout));
    }

    [Fact]
    public async Task Attach_after_a_restart_remounts_and_rebuilds_the_network()
    {
        var id = await _harness.CreateAsync();
        await Provider.Files(id).WriteAsync("src/edited.ts", Text("edited"), Timeout);
        await _harness.RestartAsync();
        OverlayMount.Unmount(Path.Join(_harness.Root, id, "merged"));
        await LocalSandboxHarness.RunHostAsync("ip", "netns", "delete", $"lp-{id}");
        Assert.False((await Provider.GetHealthAsync(id, Timeout)).Healthy);

        Assert.True(await Provider.AttachAsync(new SandboxSpec(id, _harness.Snapshot), Timeout));

        Assert.True((await Provider.GetHealthAsync(id, Timeout)).Healthy);
        Assert.Equal([id], await Provider.ListAsync(Timeout));
        Assert.Equal("edited", await ReadAsync(Provider.Files(id), "src/edited.ts"));
        await using var server = await _harness.StartServerAsync(id, 3000);
        Assert.Equal("unnamed", await GetAsync(await Provider.GetPortEndpointAsync(id, 3000, Timeout)));
    }

    [Fact]
    public async Task Files_and_processes_of_an_unmounted_sandbox_are_refused_until_it_is_attached()
    {
        var id = await _harness.CreateAsync();
        OverlayMount.Unmount(Path.Join(_harness.Root, id, "merged"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => Provider.Files(id).WriteAsync("lost.txt", Text("x"), Timeout));
        await Assert.ThrowsAsync<InvalidOperationException>(() => Provider.StartProcessAsync(id, new SandboxProcessSpec(["true"]), Timeout));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Join(_harness.Root, id, "merged")));
    }

    [Fact]
    public async Task A_create_that_fails_half_way_leaves_nothing_behind()
    {
        _harness.Options.IpPath = "false";
        await _harness.RestartAsync();
        var id = _harness.NewId();

        await Assert.ThrowsAsync<IOException>(() => Provider.CreateAsync(new SandboxSpec(id, _harness.Snapshot), Timeout));

        Assert.DoesNotContain(Path.Join(_harness.Root, id), File.ReadAllText("/proc/self/mountinfo"));
        Assert.False(Directory.Exists(Path.Join(_harness.Root, id)));
        Assert.Empty(await Provider.ListAsync(Timeout));
    }

    [Fact]
    public async Task Create_is_idempotent_and_attach_of_a_missing_sandbox_is_false()
    {
        var id = await _harness.CreateAsync();

        await Provider.CreateAsync(new SandboxSpec(id, _harness.Snapshot), Timeout);

        Assert.True((await Provider.GetHealthAsync(id, Timeout)).Healthy);
        Assert.Equal([id], await Provider.ListAsync(Timeout));
        Assert.False(await Provider.AttachAsync(new SandboxSpec(SandboxId.New(), _harness.Snapshot), Timeout));
    }

    [Fact]
    public async Task An_unknown_sandbox_is_reported_as_not_found()
    {
        var unknown = SandboxId.New();

        await Assert.ThrowsAsync<SandboxNotFoundException>(() => Provider.GetPortEndpointAsync(unknown, 5173, Timeout).AsTask());
        await Assert.ThrowsAsync<SandboxNotFoundException>(() => Provider.StartProcessAsync(unknown, new SandboxProcessSpec(["true"]), Timeout));
        await Assert.ThrowsAsync<SandboxNotFoundException>(() => Provider.StopAsync(unknown, Timeout));
        Assert.Throws<SandboxNotFoundException>(() => Provider.Files(unknown));
        Assert.Throws<SandboxNotFoundException>(() => Provider.Files("../../etc"));
        Assert.False((await Provider.GetHealthAsync(unknown, Timeout)).Exists);
    }
}
