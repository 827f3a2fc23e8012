using System.Diagnostics;
using System.Globalization;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// bubblewrap's reaper: pid 1 of the sandbox's pid namespace, seen from the host. When it dies the
/// kernel kills everything else in the namespace, so "init gone" means "the whole tree is gone" —
/// including grandchildren that daemonized or escaped into a new session.
/// </summary>
internal sealed record PidNamespaceInit(int ProcessId, long StartTime)
{
    /// <summary>The first child of the launcher (<c>ip netns exec</c> execs bwrap, which clones the init); null if the launcher died first.</summary>
    public static async Task<PidNamespaceInit?> FindAsync(Process launcher, TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            if (FirstChild(launcher.Id) is { } pid && ReadStat(pid) is { } stat)
            {
                return new PidNamespaceInit(pid, stat.StartTime);
            }
            if (launcher.HasExited || Stopwatch.GetElapsedTime(started) > timeout)
            {
                return null;
            }
            await Task.Delay(1);
        }
    }

    /// <summary>Exited (a zombie counts: it holds no process of the namespace any more) or the pid now belongs to someone else.</summary>
    public bool IsGone => ReadStat(ProcessId) is not { } stat || stat.StartTime != StartTime || stat.State is 'Z' or 'X';

    /// <summary>SIGKILL, unless it is gone (or its pid is someone else's now).</summary>
    public void Kill()
    {
        if (IsGone)
        {
            return;
        }
        try
        {
            using var process = Process.GetProcessById(ProcessId);
            process.Kill();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Exited between the look and the kill.
        }
    }

    public async Task<bool> WaitGoneAsync(TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        while (!IsGone)
        {
            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                return false;
            }
            await Task.Delay(10);
        }
        return true;
    }

    private static int? FirstChild(int processId)
    {
        try
        {
            var children = File.ReadAllText($"/proc/{processId}/task/{processId}/children");
            var first = children.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            return first is null ? null : int.Parse(first, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static (char State, long StartTime)? ReadStat(int processId)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{processId}/stat");
            // "pid (comm) state ppid ..." — comm may contain spaces and parentheses, so split after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (fields[0][0], long.Parse(fields[19], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
