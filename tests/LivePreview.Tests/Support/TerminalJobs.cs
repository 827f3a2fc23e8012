using System.Globalization;

namespace LivePreview.Tests.Support;

/// <summary>
/// Finds a test's <c>sleep N</c> in a sandbox terminal from the host's /proc: a signal key (Ctrl-C, Ctrl-Z) only
/// reaches a job once it is its terminal's foreground process group, so a test waits for that before pressing it.
/// </summary>
internal static class TerminalJobs
{
    /// <summary>A sleep length no other test uses, so its process is the test's own.</summary>
    public static string UniqueSeconds() => (4000 + Random.Shared.Next(1_000_000)).ToString(CultureInfo.InvariantCulture);

    /// <summary>Waits (60 s at most) until the one <c>sleep</c> of that length is in <paramref name="state"/> and is, or is not, its terminal's foreground job.</summary>
    public static async Task<int> WaitForSleepAsync(string seconds, char state, bool foreground)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var seen = "none";
        while (DateTime.UtcNow < deadline)
        {
            foreach (var pid in SleepingProcesses(seconds))
            {
                try
                {
                    var stat = File.ReadAllText($"/proc/{pid}/stat");
                    // After "(comm) ": state, ppid, pgrp, session, tty_nr, tpgid; the terminal's foreground group is tpgid.
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    seen = $"state {fields[0]} pgrp {fields[2]} tpgid {fields[5]}";
                    if (fields[0][0] == state && (fields[2] == fields[5]) == foreground)
                    {
                        return pid;
                    }
                }
                catch (IOException)
                {
                }
            }
            await Task.Delay(20);
        }
        throw new TimeoutException($"sleep {seconds} never got to state {state} (foreground {foreground}); last seen: {seen}");
    }

    /// <summary>Waits (60 s at most) until no <c>sleep</c> of that length is left; false when one still runs then.</summary>
    public static async Task<bool> WaitGoneAsync(string seconds)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (SleepingProcesses(seconds).Count > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(20);
        }
        return true;
    }

    /// <summary>The host pids of every <c>sleep</c> of exactly that length.</summary>
    public static List<int> SleepingProcesses(string seconds)
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            try
            {
                if (File.ReadAllText(Path.Join(directory, "cmdline")) == $"sleep\0{seconds}\0")
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return found;
    }
}
