namespace LivePreview.Terminals;

/// <summary>Log messages of terminals (event ids 1950–1999).</summary>
internal static partial class TerminalLog
{
    [LoggerMessage(EventId = 1950, Level = LogLevel.Information, Message = "Opened terminal {Name} in sandbox {SandboxId}")]
    public static partial void Opened(ILogger logger, string sandboxId, string name);

    [LoggerMessage(EventId = 1951, Level = LogLevel.Information, Message = "Terminal {Name} of sandbox {SandboxId} ended with exit code {ExitCode}")]
    public static partial void Closed(ILogger logger, string sandboxId, string name, int exitCode);

    [LoggerMessage(EventId = 1952, Level = LogLevel.Information, Message = "Killing terminal {Name} of sandbox {SandboxId}: no client for {Timeout}")]
    public static partial void DetachedTooLong(ILogger logger, string sandboxId, string name, TimeSpan timeout);

    [LoggerMessage(EventId = 1953, Level = LogLevel.Information, Message = "Disconnected a client of terminal {Name} in sandbox {SandboxId}: it fell {Chunks} output chunks behind")]
    public static partial void ClientTooSlow(ILogger logger, string sandboxId, string name, int chunks);

    [LoggerMessage(EventId = 1954, Level = LogLevel.Information, Message = "Closed a client of terminal {Name} in sandbox {SandboxId}: {Reason}")]
    public static partial void ClientRefused(ILogger logger, string sandboxId, string name, string reason);

    [LoggerMessage(EventId = 1955, Level = LogLevel.Warning, Message = "Killing terminal {Name} of sandbox {SandboxId} failed")]
    public static partial void KillFailed(ILogger logger, Exception exception, string sandboxId, string name);
}
