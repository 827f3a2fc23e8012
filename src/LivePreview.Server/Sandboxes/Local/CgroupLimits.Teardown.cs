using System.Globalization;
using LivePreview.Hosting;

namespace LivePreview.Sandboxes.Local;

/// <summary>What the containment report says about each limit, and the removal of a sandbox's groups.</summary>
internal sealed partial class CgroupLimits
{
    private ContainmentEntry Entry(string name, double limit, string setting, CgroupPlan plan, string v1, string v2, string value)
    {
        if (limit <= 0)
        {
            return ContainmentEntry.Off(name, $"{LocalSandboxOptions.Section}:{setting} = 0");
        }
        var controller = name;
        if (plan.V1.TryGetValue(controller, out var mount))
        {
            return ContainmentEntry.On(name, $"cgroup v1 {v1} under {mount} ({value})");
        }
        return plan.V2Enabled.Contains(controller)
            ? ContainmentEntry.On(name, $"cgroup v2 {v2} under {plan.V2} ({value})")
            : ContainmentEntry.Unavailable(name, plan.Missing.GetValueOrDefault(controller, "no cgroup controller"));
    }

    private ContainmentEntry SwapEntry(CgroupPlan plan)
    {
        if (_options.MemoryLimitMb <= 0)
        {
            return ContainmentEntry.Off("swap", $"{LocalSandboxOptions.Section}:MemoryLimitMb = 0");
        }
        if (plan.V1.TryGetValue("memory", out var mount))
        {
            // The root group shows the same interface files as every child.
            return File.Exists(Path.Join(mount, "memory.memsw.limit_in_bytes"))
                ? ContainmentEntry.On("swap", "cgroup v1 memory.memsw.limit_in_bytes = the memory limit (no swap)")
                : NoSwapAccounting("cgroup v1 has no memory.memsw.limit_in_bytes (swap accounting is off: boot with swapaccount=1)");
        }
        if (plan.V2Enabled.Contains("memory"))
        {
            return File.Exists(Path.Join(plan.V2!, _parent, "memory.swap.max"))
                ? ContainmentEntry.On("swap", "cgroup v2 memory.swap.max = 0 (no swap)")
                : NoSwapAccounting("cgroup v2 has no memory.swap.max (the kernel does not account swap)");
        }
        return ContainmentEntry.Unavailable("swap", plan.Missing.GetValueOrDefault("memory", "no memory controller"));
    }

    /// <summary>Without swap accounting a sandbox could swap beyond its memory limit, unless the host has no swap at all.</summary>
    private static ContainmentEntry NoSwapAccounting(string why) => HostHasSwap()
        ? ContainmentEntry.Unavailable("swap", why)
        : ContainmentEntry.On("swap", "the host has no swap (/proc/swaps)");

    private static bool HostHasSwap()
    {
        try
        {
            return File.ReadLines("/proc/swaps").Skip(1).Any(l => !string.IsNullOrWhiteSpace(l));
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// Removes the groups. The kernel refuses (EBUSY) while a process is still in one, so whatever is
    /// left — even a process that escaped its launcher during a start/delete race — is killed first
    /// (<c>cgroup.kill</c> on v2 takes the whole tree at once); a dying process may take a moment to leave.
    /// </summary>
    private static async Task RemoveGroupsAsync(IReadOnlyList<string> groups)
    {
        foreach (var group in groups)
        {
            for (var attempt = 1; ; attempt++)
            {
                KillMembers(group);
                try
                {
                    Directory.Delete(group);
                    break;
                }
                catch (IOException) when (attempt < 50)
                {
                    await Task.Delay(20);
                }
            }
        }
    }

    private static void KillMembers(string group)
    {
        var kill = Path.Join(group, "cgroup.kill");
        if (File.Exists(kill))
        {
            try
            {
                File.WriteAllText(kill, "1");
            }
            catch (IOException)
            {
            }
        }
        string[] pids;
        try
        {
            pids = File.ReadAllLines(Path.Join(group, "cgroup.procs"));
        }
        catch (IOException)
        {
            return;
        }
        foreach (var pid in pids)
        {
            if (!int.TryParse(pid, CultureInfo.InvariantCulture, out var id))
            {
                continue;
            }
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(id);
                process.Kill();
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
            }
        }
    }
}
