namespace LivePreview.DevServers;

/// <summary>Why a dev server's run ended, as the preview API (<c>last_crash</c>), DEV_SERVER_CRASHED and the preview panel say it.</summary>
/// <param name="Reason">A sentence for people: what happened and, for the memory limit, what to change.</param>
/// <param name="Cause"><see cref="MemoryLimit"/> or <see cref="Exited"/>.</param>
/// <param name="ExitCode">The dev server's exit code (137 or -9 for a SIGKILL).</param>
public sealed record DevServerCrash(string Reason, string Cause, int ExitCode, DateTimeOffset At)
{
    /// <summary>The kernel killed a process of the sandbox for its memory limit while this run lasted (the cgroup's <c>oom_kill</c> grew).</summary>
    public const string MemoryLimit = "memory_limit";

    /// <summary>It ended any other way: a crash, a kill from outside, a normal exit.</summary>
    public const string Exited = "exited";

    /// <param name="oomKillsAtStart">The sandbox's OOM-kill count when this run started; null when the provider cannot tell.</param>
    /// <param name="memory">The sandbox's memory now; null when the provider cannot tell.</param>
    public static DevServerCrash Of(int exitCode, bool beforeReady, long? oomKillsAtStart, Sandboxes.SandboxMemoryLimit? memory, DateTimeOffset at)
    {
        var when = beforeReady ? " before it was ready" : "";
        if (memory is not null && oomKillsAtStart is { } before && memory.OomKills > before)
        {
            var limit = memory.LimitMb > 0
                ? $"the sandbox's memory limit ({memory.LimitMb} MiB)"
                : "the kernel for lack of memory (the sandbox has no memory limit of its own)";
            return new DevServerCrash(
                $"The dev server was killed by {limit}{when}: the kernel's OOM killer ended it (exit code {exitCode}). "
                + "Make the app use less memory, or raise LivePreview:Sandboxes:Local:MemoryLimitMb.",
                MemoryLimit, exitCode, at);
        }
        return new DevServerCrash($"The dev server exited with code {exitCode}{when}.", Exited, exitCode, at);
    }
}
