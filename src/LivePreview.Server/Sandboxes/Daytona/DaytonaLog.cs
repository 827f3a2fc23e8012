namespace LivePreview.Sandboxes.Daytona;

internal static partial class DaytonaLog
{
    [LoggerMessage(EventId = 2860, Level = LogLevel.Information, Message = "Created Daytona sandbox {SandboxId} (Daytona id {DaytonaId}) from snapshot {Snapshot}")]
    public static partial void Created(ILogger logger, string sandboxId, string daytonaId, string snapshot);

    [LoggerMessage(EventId = 2861, Level = LogLevel.Information, Message = "Deleted Daytona sandbox {SandboxId}")]
    public static partial void Deleted(ILogger logger, string sandboxId);

    [LoggerMessage(EventId = 2862, Level = LogLevel.Information, Message = "Starting Daytona sandbox {SandboxId} again (it was {State})")]
    public static partial void Restarted(ILogger logger, string sandboxId, string state);

    [LoggerMessage(EventId = 2863, Level = LogLevel.Debug, Message = "Started {Program} in Daytona sandbox {SandboxId} (session {SessionId})")]
    public static partial void ProcessStarted(ILogger logger, string sandboxId, string sessionId, string program);

    [LoggerMessage(EventId = 2864, Level = LogLevel.Debug, Message = "Process in Daytona sandbox {SandboxId} (session {SessionId}) exited with {ExitCode}")]
    public static partial void ProcessExited(ILogger logger, string sandboxId, string sessionId, int exitCode);

    [LoggerMessage(EventId = 2865, Level = LogLevel.Warning, Message = "Following the output of session {SessionId} in Daytona sandbox {SandboxId} failed; its exit code is still awaited")]
    public static partial void FollowFailed(ILogger logger, Exception exception, string sandboxId, string sessionId);
}
