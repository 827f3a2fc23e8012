namespace LivePreview.Egress;

/// <summary>Log messages of the egress proxy (event ids 1100–1119).</summary>
internal static partial class EgressLog
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Egress granted to sandbox {SandboxId}: {Targets}")]
    public static partial void Granted(ILogger logger, string sandboxId, string targets);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Egress of sandbox {SandboxId} revoked")]
    public static partial void Revoked(ILogger logger, string sandboxId);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Egress refused for sandbox {SandboxId} to {Target}: {Reason}")]
    public static partial void Refused(ILogger logger, string sandboxId, string target, string reason);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Sandbox {SandboxId} had {Count} egress refusals within a minute; further ones this minute are not reported")]
    public static partial void RefusalsSuppressed(ILogger logger, string sandboxId, int count);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Debug, Message = "Egress tunnel of sandbox {SandboxId} to {Target} ended: {Reason}")]
    public static partial void TunnelEnded(ILogger logger, string sandboxId, string target, string reason);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Warning, Message = "Egress connection of sandbox {SandboxId} failed")]
    public static partial void ConnectionFailed(ILogger logger, string sandboxId, Exception exception);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Error, Message = "The egress proxy of sandbox {SandboxId} stopped accepting")]
    public static partial void AcceptFailed(ILogger logger, string sandboxId, Exception exception);
}
