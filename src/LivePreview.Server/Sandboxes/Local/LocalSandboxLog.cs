using Microsoft.Extensions.Logging;

namespace LivePreview.Sandboxes.Local;

/// <summary>Log messages of the local sandbox provider (event ids 450–479).</summary>
internal static partial class LocalSandboxLog
{
    [LoggerMessage(EventId = 450, Level = LogLevel.Information, Message = "Created sandbox {SandboxId} on snapshot {SnapshotDirectory} at {Address}")]
    public static partial void Created(ILogger logger, string sandboxId, string snapshotDirectory, string address);

    [LoggerMessage(EventId = 451, Level = LogLevel.Information, Message = "Attached sandbox {SandboxId}: re-created {Repaired}")]
    public static partial void Attached(ILogger logger, string sandboxId, string repaired);

    [LoggerMessage(EventId = 452, Level = LogLevel.Information, Message = "Deleted sandbox {SandboxId}")]
    public static partial void Deleted(ILogger logger, string sandboxId);

    [LoggerMessage(EventId = 453, Level = LogLevel.Information, Message = "Stopped {Count} process(es) of sandbox {SandboxId}")]
    public static partial void Stopped(ILogger logger, string sandboxId, int count);

    [LoggerMessage(EventId = 454, Level = LogLevel.Debug, Message = "Started process {ProcessId} in sandbox {SandboxId}: {Command}")]
    public static partial void ProcessStarted(ILogger logger, string sandboxId, int processId, string command);

    [LoggerMessage(EventId = 455, Level = LogLevel.Debug, Message = "Process {ProcessId} of sandbox {SandboxId} exited with code {ExitCode}")]
    public static partial void ProcessExited(ILogger logger, string sandboxId, int processId, int exitCode);

    [LoggerMessage(EventId = 457, Level = LogLevel.Warning, Message = "Sandbox {SandboxId} was created on {Recorded}, not on the given {Given}; keeping the recorded snapshot")]
    public static partial void SnapshotMismatch(ILogger logger, string sandboxId, string recorded, string given);

    [LoggerMessage(EventId = 458, Level = LogLevel.Warning, Message = "Cleaning up sandbox {SandboxId}: {Step} failed")]
    public static partial void CleanupFailed(ILogger logger, Exception exception, string sandboxId, string step);

    [LoggerMessage(EventId = 459, Level = LogLevel.Warning, Message = "Process {ProcessId} of sandbox {SandboxId} was still running after it was killed")]
    public static partial void KillTimedOut(ILogger logger, string sandboxId, int processId);

    [LoggerMessage(EventId = 460, Level = LogLevel.Warning, Message = "Sandboxes run WITHOUT a seccomp filter (LivePreview:Sandboxes:Local:Seccomp is false): keyctl, bpf, mount, io_uring and the rest are open to sandbox code")]
    public static partial void SeccompOff(ILogger logger);

    [LoggerMessage(EventId = 461, Level = LogLevel.Error, Message = "No sandbox can start on this host: {Problem}")]
    public static partial void SandboxesUnusable(ILogger logger, string problem);

    [LoggerMessage(EventId = 462, Level = LogLevel.Information, Message = "Handed snapshot {SnapshotDirectory} to the sandbox user {HostUid} (once per snapshot)")]
    public static partial void SnapshotOwned(ILogger logger, string snapshotDirectory, int hostUid);
}
