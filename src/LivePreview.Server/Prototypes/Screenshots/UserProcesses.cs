using System.Globalization;
using System.Runtime.InteropServices;

namespace LivePreview.Prototypes.Screenshots;

/// <summary>The processes of Chromium's dedicated host user, found through /proc.</summary>
internal static class UserProcesses
{
    /// <summary>
    /// The PID namespace dies with its first process, but the kernel reaps the rest a moment later: wait until no
    /// process of Chromium's (dedicated) user is left, killing any still there, so the next capture and the scratch
    /// folder's removal never meet one. Only one capture runs at a time, so every such process is this capture's.
    /// </summary>
    public static async Task EndAllAsync(int uid)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var left = ProcessesOf(uid);
            if (left.Count == 0)
            {
                return;
            }
            foreach (var pid in left)
            {
                _ = kill(pid, 9);
            }
            await Task.Delay(50);
        }
    }

    private static List<int> ProcessesOf(int uid)
    {
        var pids = new List<int>();
        foreach (var entry in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && RealUid(entry) == uid)
            {
                pids.Add(pid);
            }
        }
        return pids;
    }

    private static int? RealUid(string proc)
    {
        try
        {
            var line = File.ReadLines(Path.Join(proc, "status")).FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            var fields = line?.Split('\t', StringSplitOptions.RemoveEmptyEntries);
            return fields is { Length: > 1 } && int.TryParse(fields[1], CultureInfo.InvariantCulture, out var uid) ? uid : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
