using System.Globalization;
using Microsoft.Extensions.Logging;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// Per-sandbox memory and process-count limits through cgroup v1 (this machine runs cgroups in
/// hybrid mode: the v2 hierarchy has no controllers). Each sandbox gets
/// <c>/sys/fs/cgroup/{controller}/livepreview/{id}</c>. A controller that is not mounted is skipped.
/// </summary>
internal sealed class CgroupLimits(LocalSandboxOptions options, ILogger logger)
{
    private const string Mount = "/sys/fs/cgroup";
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _missingLogged = new();

    /// <summary>Creates the sandbox's groups and writes their limits; returns the groups processes must join.</summary>
    public IReadOnlyList<string> Ensure(string sandboxId)
    {
        var groups = new List<string>();
        Add(groups, sandboxId, "memory", "memory.limit_in_bytes", options.MemoryLimitMb * 1024L * 1024L);
        Add(groups, sandboxId, "pids", "pids.max", options.PidsLimit);
        return groups;
    }

    /// <summary>The sandbox's groups that exist now.</summary>
    public static IReadOnlyList<string> Existing(string sandboxId) =>
        Controllers.Select(c => GroupOf(c, sandboxId)).Where(Directory.Exists).ToList();

    public static void Join(IReadOnlyList<string> groups, int processId)
    {
        foreach (var group in groups)
        {
            File.AppendAllText(Path.Join(group, "cgroup.procs"), processId.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// Removes the groups. The kernel refuses (EBUSY) while a process is still in one, so whatever is
    /// left in the group — even a process that escaped its launcher during a start/delete race — is
    /// killed first; a dying process may take a moment to leave.
    /// </summary>
    public static async Task RemoveAsync(string sandboxId)
    {
        foreach (var group in Existing(sandboxId))
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

    private static readonly string[] Controllers = ["memory", "pids"];

    private static string GroupOf(string controller, string sandboxId) => Path.Join(Mount, controller, "livepreview", sandboxId);

    private void Add(List<string> groups, string sandboxId, string controller, string limitFile, long limit)
    {
        if (limit <= 0)
        {
            return;
        }
        // A v1 hierarchy mounted at /sys/fs/cgroup/{controller} has cgroup.procs at its top.
        if (!File.Exists(Path.Join(Mount, controller, "cgroup.procs")))
        {
            if (_missingLogged.TryAdd(controller, true))
            {
                LocalSandboxLog.CgroupControllerMissing(logger, controller);
            }
            return;
        }
        var group = GroupOf(controller, sandboxId);
        Directory.CreateDirectory(group);
        File.WriteAllText(Path.Join(group, limitFile), limit.ToString(CultureInfo.InvariantCulture));
        groups.Add(group);
    }
}
