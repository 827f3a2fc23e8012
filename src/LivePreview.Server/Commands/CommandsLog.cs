namespace LivePreview.Commands;

internal static partial class CommandsLog
{
    [LoggerMessage(EventId = 1900, Level = LogLevel.Information, Message = "Command {CommandId} started in sandbox {SandboxId}: {Command}")]
    public static partial void Started(ILogger logger, string commandId, string sandboxId, string command);

    [LoggerMessage(EventId = 1901, Level = LogLevel.Information, Message = "Command {CommandId} in sandbox {SandboxId} ended {Status} with exit code {ExitCode}")]
    public static partial void Ended(ILogger logger, string commandId, string sandboxId, CommandStatus status, int? exitCode);

    [LoggerMessage(EventId = 1902, Level = LogLevel.Warning, Message = "Marked {Count} commands lost: they were running when the service stopped")]
    public static partial void MarkedLost(ILogger logger, int count);

    [LoggerMessage(EventId = 1903, Level = LogLevel.Error, Message = "Command {CommandId} in sandbox {SandboxId} failed to finish its record")]
    public static partial void FinishFailed(ILogger logger, Exception ex, string commandId, string sandboxId);
}
