using System.Globalization;
using LivePreview.Hosting;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// Per-sandbox memory (+swap), process-count and CPU limits through cgroups, v1 or v2, whichever
/// hierarchy holds each controller on this host (<see cref="CgroupHierarchies"/>). Each sandbox gets
/// <c>{v1 mount}/livepreview/{id}</c> per v1 controller and <c>{v2 mount}/livepreview/{id}</c>; the v2
/// group is made even without controllers (hybrid hosts): it tracks every process of the sandbox,
/// <c>cgroup.kill</c> ends them all at once and <c>cpu.stat</c> counts their CPU time.
/// </summary>
internal sealed partial class CgroupLimits
{
    public const string DefaultParent = "livepreview";
    private const long CpuPeriodMicroseconds = 100_000;
    private static readonly string[] Controllers = ["memory", "pids", "cpu"];

    private readonly LocalSandboxOptions _options;
    private readonly CgroupHierarchies _host;
    private readonly string _parent;
    private readonly Lazy<CgroupPlan> _plan;

    public CgroupLimits(LocalSandboxOptions options) : this(options, CgroupHierarchies.Host, DefaultParent)
    {
    }

    /// <summary>For tests: other hierarchies (a cgroup2 mounted in a temp folder, a fake tree) and a parent of their own.</summary>
    internal CgroupLimits(LocalSandboxOptions options, CgroupHierarchies host, string parent)
    {
        _options = options;
        _host = host;
        _parent = parent;
        _plan = new Lazy<CgroupPlan>(() => CgroupPlan.Prepare(host, parent, Controllers));
    }

    /// <summary>Where each limit is enforced on this host, or why it is not; prepares the parent groups on first use.</summary>
    public IEnumerable<ContainmentEntry> Report()
    {
        var plan = _plan.Value;
        yield return Entry("memory", _options.MemoryLimitMb, "MemoryLimitMb", plan, v1: "memory.limit_in_bytes", v2: "memory.max", $"{_options.MemoryLimitMb} MiB");
        yield return SwapEntry(plan);
        yield return Entry("pids", _options.PidsLimit, "PidsLimit", plan, v1: "pids.max", v2: "pids.max", $"{_options.PidsLimit} tasks");
        yield return Entry("cpu", _options.CpuLimit, "CpuLimit", plan, v1: "cpu.cfs_quota_us", v2: "cpu.max", $"{_options.CpuLimit.ToString(CultureInfo.InvariantCulture)} CPU");
    }

    /// <summary>Creates the sandbox's groups and writes their limits (again, after a restart or a changed setting); returns the groups processes must join.</summary>
    public IReadOnlyList<string> Ensure(string sandboxId)
    {
        var plan = _plan.Value;
        var groups = new List<string>();
        foreach (var (controller, mount) in plan.V1)
        {
            var group = Path.Join(mount, _parent, sandboxId);
            Directory.CreateDirectory(group);
            WriteV1(group, controller);
            groups.Add(group);
        }
        if (plan.V2 is { } v2)
        {
            var group = Path.Join(v2, _parent, sandboxId);
            Directory.CreateDirectory(group);
            foreach (var controller in plan.V2Enabled)
            {
                WriteV2(group, controller);
            }
            groups.Add(group);
        }
        return groups;
    }

    /// <summary>The sandbox's groups on this host that exist now (<c>LocalSandboxProvider.StartAsync</c> joins them).</summary>
    public static IReadOnlyList<string> Existing(string sandboxId) => GroupsOf(CgroupHierarchies.Host, DefaultParent, sandboxId);

    internal IReadOnlyList<string> ExistingGroups(string sandboxId) => GroupsOf(_host, _parent, sandboxId);

    /// <summary>Moves a process into the groups. Done before the sandbox's command runs (bwrap waits on <c>--block-fd</c>), so all its children are born inside.</summary>
    public static void Join(IReadOnlyList<string> groups, int processId)
    {
        foreach (var group in groups)
        {
            File.AppendAllText(Path.Join(group, "cgroup.procs"), processId.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Kills what is left in the sandbox's groups on this host and removes them.</summary>
    public static Task RemoveAsync(string sandboxId) => RemoveGroupsAsync(Existing(sandboxId));

    internal Task DeleteAsync(string sandboxId) => RemoveGroupsAsync(ExistingGroups(sandboxId));

    private static IReadOnlyList<string> GroupsOf(CgroupHierarchies host, string parent, string sandboxId) =>
        Controllers.Select(c => host.V1.GetValueOrDefault(c)).OfType<string>()
            .Append(host.V2).OfType<string>().Distinct(StringComparer.Ordinal)
            .Select(mount => Path.Join(mount, parent, sandboxId)).Where(Directory.Exists).ToList();

    private void WriteV1(string group, string controller)
    {
        switch (controller)
        {
            case "memory":
                var bytes = _options.MemoryLimitMb > 0 ? (_options.MemoryLimitMb * 1024L * 1024L).ToString(CultureInfo.InvariantCulture) : "-1";
                // memory+swap may never be below memory alone: raise whichever must grow first. Equal values: no swap at all.
                var memsw = Path.Join(group, "memory.memsw.limit_in_bytes");
                var hasSwapFile = File.Exists(memsw);
                if (!TryWrite(group, "memory.limit_in_bytes", bytes))
                {
                    if (hasSwapFile)
                    {
                        Write(group, "memory.memsw.limit_in_bytes", bytes);
                    }
                    Write(group, "memory.limit_in_bytes", bytes);
                }
                if (hasSwapFile)
                {
                    Write(group, "memory.memsw.limit_in_bytes", bytes);
                }
                break;
            case "pids":
                Write(group, "pids.max", _options.PidsLimit > 0 ? _options.PidsLimit.ToString(CultureInfo.InvariantCulture) : "max");
                break;
            case "cpu":
                Write(group, "cpu.cfs_period_us", CpuPeriodMicroseconds.ToString(CultureInfo.InvariantCulture));
                Write(group, "cpu.cfs_quota_us", CpuQuota()?.ToString(CultureInfo.InvariantCulture) ?? "-1");
                break;
        }
    }

    private void WriteV2(string group, string controller)
    {
        switch (controller)
        {
            case "memory":
                Write(group, "memory.max", _options.MemoryLimitMb > 0 ? (_options.MemoryLimitMb * 1024L * 1024L).ToString(CultureInfo.InvariantCulture) : "max");
                // Absent when the kernel does not account swap (or the host has none): then there is nothing to limit.
                if (File.Exists(Path.Join(group, "memory.swap.max")))
                {
                    Write(group, "memory.swap.max", _options.MemoryLimitMb > 0 ? "0" : "max");
                }
                break;
            case "pids":
                Write(group, "pids.max", _options.PidsLimit > 0 ? _options.PidsLimit.ToString(CultureInfo.InvariantCulture) : "max");
                break;
            case "cpu":
                Write(group, "cpu.max", $"{CpuQuota()?.ToString(CultureInfo.InvariantCulture) ?? "max"} {CpuPeriodMicroseconds}");
                break;
        }
    }

    /// <summary>Microseconds of CPU time per 100 ms period; the kernel takes no less than 1 ms.</summary>
    private long? CpuQuota() => _options.CpuLimit > 0 ? Math.Max(1000, (long)Math.Round(_options.CpuLimit * CpuPeriodMicroseconds)) : null;

    private static void Write(string group, string file, string value) => File.WriteAllText(Path.Join(group, file), value);

    private static bool TryWrite(string group, string file, string value)
    {
        try
        {
            Write(group, file, value);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
