namespace LivePreview.AgentSessions;

/// <summary>Log messages of agent sessions (event ids 2100–2149).</summary>
internal static partial class AgentSessionLog
{
    [LoggerMessage(EventId = 2100, Level = LogLevel.Information, Message = "Agent session {SessionId} started with agent {Agent} in sandbox {SandboxId}")]
    public static partial void Started(ILogger logger, string sessionId, string agent, string sandboxId);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Agent session {SessionId} turn {TurnId} ended {Status}")]
    public static partial void TurnEnded(ILogger logger, string sessionId, string turnId, string status);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Error, Message = "Agent session {SessionId} turn {TurnId} failed unexpectedly")]
    public static partial void TurnCrashed(ILogger logger, Exception exception, string sessionId, string turnId);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Information, Message = "Agent session {SessionId} resumed with turn {TurnId}")]
    public static partial void Resumed(ILogger logger, string sessionId, string turnId);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Information, Message = "Agent session {SessionId} interrupted: {Reason}")]
    public static partial void Interrupted(ILogger logger, string sessionId, string reason);

    [LoggerMessage(EventId = 2105, Level = LogLevel.Warning, Message = "{Count} agent sessions were running when the service stopped; they are now interrupted and can be resumed")]
    public static partial void ReconciledRunning(ILogger logger, int count);

    [LoggerMessage(EventId = 2106, Level = LogLevel.Information, Message = "Agent session {SessionId} failed: its sandbox {SandboxId} was deleted")]
    public static partial void SandboxDeleted(ILogger logger, string sessionId, string sandboxId);

    [LoggerMessage(EventId = 2107, Level = LogLevel.Warning, Message = "The watch for deleted sandboxes stopped; it restarts")]
    public static partial void WatchFailed(ILogger logger, Exception exception);
}
