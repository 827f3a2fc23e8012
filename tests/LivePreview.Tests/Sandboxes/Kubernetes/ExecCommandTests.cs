using System.Diagnostics;
using LivePreview.Sandboxes.Kubernetes;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Sandboxes.Kubernetes;

/// <summary>
/// The exec scripts run by this machine's own sh on real processes: in a pod they run the same way, and the Kubernetes double
/// cannot exercise the session kill (each of its execs has a pid namespace of its own).
/// </summary>
public sealed class ExecCommandTests
{
    [Fact]
    public async Task The_session_kill_ends_every_process_of_the_session_in_any_process_group_and_nothing_else()
    {
        var seconds = TerminalJobs.UniqueSeconds();
        var pidFile = Path.Join(Path.GetTempPath(), $"lp-session-{Guid.NewGuid():N}.session");
        // A session like a terminal's: its leader writes its id, then a job in a process group of its own and one in the leader's.
        using var session = Start("setsid", "bash", "-c", "echo $$ > \"$1\"; set -m; sleep \"$2\" & set +m; sleep \"$2\" & wait", "lp", pidFile, seconds);
        using var outsider = Start("setsid", "sleep", seconds);
        try
        {
            await WaitForAsync(() => File.Exists(pidFile) && TerminalJobs.SleepingProcesses(seconds).Count == 3);
            var groups = TerminalJobs.SleepingProcesses(seconds).Select(pid => Field(pid, 2)).Distinct().Count();
            Assert.Equal(3, groups);
            var leader = (await File.ReadAllTextAsync(pidFile)).Trim();

            using var kill = Start("sh", "-c", ExecCommand.KillSession, "lp", pidFile);
            await kill.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);

            Assert.Equal(0, kill.ExitCode);
            await WaitForAsync(() => TerminalJobs.SleepingProcesses(seconds).Count == 1);
            Assert.NotEqual(leader, Field(Assert.Single(TerminalJobs.SleepingProcesses(seconds)), 3));
            Assert.False(File.Exists(pidFile));
        }
        finally
        {
            foreach (var pid in TerminalJobs.SleepingProcesses(seconds))
            {
                using var left = Process.GetProcessById(pid);
                left.Kill();
            }
            File.Delete(pidFile);
        }
    }

    [Fact]
    public async Task The_session_kill_of_a_missing_or_garbled_pid_file_kills_nothing_and_succeeds()
    {
        var pidFile = Path.Join(Path.GetTempPath(), $"lp-session-{Guid.NewGuid():N}.session");
        foreach (var content in new[] { null, "", "-1", "1 2", "$(touch x)" })
        {
            if (content is not null)
            {
                await File.WriteAllTextAsync(pidFile, content);
            }
            using var kill = Start("sh", "-c", ExecCommand.KillSession, "lp", pidFile);
            await kill.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
            Assert.Equal(0, kill.ExitCode);
        }
        File.Delete(pidFile);
    }

    private static Process Start(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        return Process.Start(info)!;
    }

    /// <summary>A field of /proc/pid/stat after the command's name: 2 the process group, 3 the session.</summary>
    private static string Field(int pid, int index)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[index];
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the processes did not get there in 30 s");
            await Task.Delay(20);
        }
    }
}
