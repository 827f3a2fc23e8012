using System.Diagnostics;
using LivePreview.Hosting;
using LivePreview.Sandboxes.Local;
using LivePreview.Tests.Sandboxes.Local;

namespace LivePreview.Tests.Containment;

/// <summary>
/// The cgroup v2 code path on a real cgroup2 hierarchy, mounted by the test in a temp folder. On this
/// hybrid host the v2 hierarchy has no controllers: groups are made and processes join them, and the
/// limits are reported as not enforced, saying why.
/// </summary>
public sealed class CgroupV2MountTests : IAsyncLifetime
{
    private readonly string _mount = Directory.CreateTempSubdirectory("lp-cgroup2-").FullName;
    private readonly string _parent = $"livepreview-test-{Guid.NewGuid():N}"[..30];
    private Process? _member;

    public async Task InitializeAsync() => await LocalSandboxHarness.RunHostAsync("mount", "-t", "cgroup2", "none", _mount);

    public async Task DisposeAsync()
    {
        if (_member is { HasExited: false })
        {
            _member.Kill();
        }
        _member?.Dispose();
        foreach (var group in Directory.Exists(Path.Join(_mount, _parent)) ? Directory.EnumerateDirectories(Path.Join(_mount, _parent)) : [])
        {
            Directory.Delete(group);
        }
        if (Directory.Exists(Path.Join(_mount, _parent)))
        {
            Directory.Delete(Path.Join(_mount, _parent));
        }
        await LocalSandboxHarness.RunHostAsync("umount", _mount);
        Directory.Delete(_mount);
    }

    [Fact]
    public async Task Groups_are_made_processes_join_and_missing_controllers_are_reported_as_not_enforced()
    {
        var hierarchies = CgroupHierarchies.FromMounts(MountInfo.Read().Where(m => m.MountPoint == _mount));
        Assert.Equal(_mount, hierarchies.V2);
        Assert.Empty(hierarchies.V1);
        var limits = new CgroupLimits(new LocalSandboxOptions(), hierarchies, _parent);
        var offered = File.ReadAllText(Path.Join(_mount, "cgroup.controllers")).Split(' ', StringSplitOptions.RemoveEmptyEntries);

        var report = limits.Report().ToDictionary(e => e.Name);
        var groups = limits.Ensure("abcdefghijkl");
        _member = Process.Start(new ProcessStartInfo("sleep", "60"))!;
        CgroupLimits.Join(groups, _member.Id);

        var group = Assert.Single(groups);
        Assert.Equal(Path.Join(_mount, _parent, "abcdefghijkl"), group);
        Assert.Contains($"0::/{_parent}/abcdefghijkl", File.ReadAllLines($"/proc/{_member.Id}/cgroup"));
        Assert.Equal(_member.Id.ToString(), File.ReadAllText(Path.Join(group, "cgroup.procs")).Trim());
        foreach (var name in new[] { "memory", "pids", "cpu" }.Where(c => !offered.Contains(c)))
        {
            Assert.False(report[name].Enforced);
            Assert.False(report[name].SwitchedOff);
            Assert.Contains("does not offer it", report[name].How);
        }
        Assert.False(report["swap"].Enforced && !offered.Contains("memory"));

        await limits.DeleteAsync("abcdefghijkl");

        Assert.True(_member.WaitForExit(5000), "cgroup.kill did not end the member");
        Assert.False(Directory.Exists(group));
    }
}
