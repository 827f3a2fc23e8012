using LivePreview.Hosting;
using LivePreview.Sandboxes.Local;

namespace LivePreview.Tests.Containment;

/// <summary>
/// What the cgroup code writes, against folders laid out like cgroup trees (a v2 tree that lists its
/// controllers, v1 controller mounts), and how the layout is read from mountinfo.
/// </summary>
public sealed class CgroupFilesTests : IDisposable
{
    private readonly string _tree = Directory.CreateTempSubdirectory("lp-cgroup-tree-").FullName;

    private static readonly LocalSandboxOptions Limits = new() { MemoryLimitMb = 256, PidsLimit = 64, CpuLimit = 1.5 };

    public void Dispose() => Directory.Delete(_tree, recursive: true);

    [Fact]
    public void On_cgroup_v2_controllers_are_enabled_for_the_parent_and_the_sandbox_group_gets_memory_swap_pids_and_cpu_limits()
    {
        var v2 = V2Tree("cpuset cpu io memory pids");
        Directory.CreateDirectory(Path.Join(v2, "livepreview", "abcdefghijkl"));
        File.WriteAllText(Path.Join(v2, "livepreview", "abcdefghijkl", "memory.swap.max"), "max");
        var limits = new CgroupLimits(Limits, new CgroupHierarchies(new Dictionary<string, string>(), v2), "livepreview");

        var groups = limits.Ensure("abcdefghijkl");

        var group = Path.Join(v2, "livepreview", "abcdefghijkl");
        Assert.Equal([group], groups);
        Assert.Equal("268435456", File.ReadAllText(Path.Join(group, "memory.max")));
        Assert.Equal("0", File.ReadAllText(Path.Join(group, "memory.swap.max")));
        Assert.Equal("64", File.ReadAllText(Path.Join(group, "pids.max")));
        Assert.Equal("150000 100000", File.ReadAllText(Path.Join(group, "cpu.max")));
        // A real subtree_control keeps every controller written to it; the plain file keeps the last write.
        Assert.StartsWith("+", File.ReadAllText(Path.Join(v2, "livepreview", "cgroup.subtree_control")));
        var report = limits.Report().ToDictionary(e => e.Name);
        Assert.All(new[] { "memory", "swap", "pids", "cpu" }, n => Assert.True(report[n].Enforced, report[n].How));
        Assert.Contains("cgroup v2 memory.max", report["memory"].How);
    }

    [Fact]
    public void On_cgroup_v2_a_controller_the_tree_does_not_list_is_not_written_and_is_reported_with_the_reason()
    {
        var v2 = V2Tree("memory");
        var limits = new CgroupLimits(Limits, new CgroupHierarchies(new Dictionary<string, string>(), v2), "livepreview");

        var group = Assert.Single(limits.Ensure("abcdefghijkl"));

        Assert.True(File.Exists(Path.Join(group, "memory.max")));
        Assert.False(File.Exists(Path.Join(group, "pids.max")));
        Assert.False(File.Exists(Path.Join(group, "cpu.max")));
        var report = limits.Report().ToDictionary(e => e.Name);
        Assert.True(report["memory"].Enforced);
        Assert.False(report["pids"].Enforced);
        Assert.Contains("does not offer it (cgroup.controllers: 'memory')", report["cpu"].How);
    }

    [Fact]
    public void On_cgroup_v1_each_controller_gets_its_own_group_with_memsw_equal_to_memory_and_a_cfs_quota()
    {
        var memory = V1Tree("memory", "memory.memsw.limit_in_bytes");
        var pids = V1Tree("pids");
        var cpu = V1Tree("cpu,cpuacct");
        var hierarchies = new CgroupHierarchies(new Dictionary<string, string> { ["memory"] = memory, ["pids"] = pids, ["cpu"] = cpu, ["cpuacct"] = cpu }, null);
        Directory.CreateDirectory(Path.Join(memory, "livepreview", "abcdefghijkl"));
        File.WriteAllText(Path.Join(memory, "livepreview", "abcdefghijkl", "memory.memsw.limit_in_bytes"), "-1");
        var limits = new CgroupLimits(Limits, hierarchies, "livepreview");

        var groups = limits.Ensure("abcdefghijkl");

        Assert.Equal(3, groups.Count);
        Assert.Equal("268435456", File.ReadAllText(Path.Join(memory, "livepreview", "abcdefghijkl", "memory.limit_in_bytes")));
        Assert.Equal("268435456", File.ReadAllText(Path.Join(memory, "livepreview", "abcdefghijkl", "memory.memsw.limit_in_bytes")));
        Assert.Equal("64", File.ReadAllText(Path.Join(pids, "livepreview", "abcdefghijkl", "pids.max")));
        Assert.Equal("150000", File.ReadAllText(Path.Join(cpu, "livepreview", "abcdefghijkl", "cpu.cfs_quota_us")));
        Assert.Equal("100000", File.ReadAllText(Path.Join(cpu, "livepreview", "abcdefghijkl", "cpu.cfs_period_us")));
        var report = limits.Report().ToDictionary(e => e.Name);
        Assert.Contains("cgroup v1 memory.limit_in_bytes", report["memory"].How);
        Assert.Contains("memsw", report["swap"].How);
    }

    [Fact]
    public void A_limit_set_to_zero_is_written_as_unlimited_and_reported_as_switched_off()
    {
        var v2 = V2Tree("cpu memory pids");
        var limits = new CgroupLimits(new LocalSandboxOptions { CpuLimit = 0, PidsLimit = 0 }, new CgroupHierarchies(new Dictionary<string, string>(), v2), "livepreview");

        var group = Assert.Single(limits.Ensure("abcdefghijkl"));

        Assert.Equal("max 100000", File.ReadAllText(Path.Join(group, "cpu.max")));
        Assert.Equal("max", File.ReadAllText(Path.Join(group, "pids.max")));
        var cpu = limits.Report().Single(e => e.Name == "cpu");
        Assert.True(cpu.SwitchedOff);
        Assert.Contains("CpuLimit = 0", cpu.How);
    }

    [Fact]
    public void Mountinfo_of_a_hybrid_host_puts_the_controllers_on_v1_and_keeps_the_unified_mount()
    {
        var hierarchies = CgroupHierarchies.FromMounts(MountInfo.Parse([
            "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
            "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct",
            "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory",
            "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids",
            "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw",
            "90 41 0:38 / /tmp/other\\040mount rw,relatime - cgroup2 none rw",
        ]));

        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", hierarchies.V1["cpu"]);
        Assert.Equal("/sys/fs/cgroup/memory", hierarchies.V1["memory"]);
        Assert.Equal("/sys/fs/cgroup/pids", hierarchies.V1["pids"]);
        Assert.Equal("/sys/fs/cgroup/unified", hierarchies.V2);
    }

    [Fact]
    public void Mountinfo_of_a_unified_host_has_no_v1_controllers()
    {
        var hierarchies = CgroupHierarchies.FromMounts(MountInfo.Parse([
            "25 30 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot",
        ]));

        Assert.False(hierarchies.V1.ContainsKey("memory"));
        Assert.Equal("/sys/fs/cgroup", hierarchies.V2);
    }

    private string V2Tree(string controllers)
    {
        var root = Directory.CreateDirectory(Path.Join(_tree, "v2")).FullName;
        File.WriteAllText(Path.Join(root, "cgroup.controllers"), controllers + "\n");
        File.WriteAllText(Path.Join(root, "cgroup.subtree_control"), "\n");
        File.WriteAllText(Path.Join(root, "cgroup.procs"), "");
        return root;
    }

    private string V1Tree(string name, params string[] rootFiles)
    {
        var root = Directory.CreateDirectory(Path.Join(_tree, name)).FullName;
        foreach (var file in rootFiles.Append("cgroup.procs"))
        {
            File.WriteAllText(Path.Join(root, file), "");
        }
        return root;
    }
}
