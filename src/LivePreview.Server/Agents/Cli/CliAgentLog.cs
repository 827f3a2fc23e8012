namespace LivePreview.Agents.Cli;

/// <summary>Log messages of the CLI agents (event ids 2050–2099).</summary>
internal static partial class CliAgentLog
{
    [LoggerMessage(EventId = 2050, Level = LogLevel.Information, Message = "{Agent} starts a turn in sandbox {SandboxId} (model {Model}, resuming {ResumeToken})")]
    public static partial void TurnStarted(ILogger logger, string agent, string sandboxId, string model, string? resumeToken);

    [LoggerMessage(EventId = 2051, Level = LogLevel.Information, Message = "{Agent} finished its turn in sandbox {SandboxId} ({InputTokens} tokens in, {OutputTokens} out)")]
    public static partial void TurnCompleted(ILogger logger, string agent, string sandboxId, long? inputTokens, long? outputTokens);

    [LoggerMessage(EventId = 2052, Level = LogLevel.Information, Message = "{Agent} in sandbox {SandboxId} is interrupted")]
    public static partial void Interrupting(ILogger logger, string agent, string sandboxId);

    [LoggerMessage(EventId = 2053, Level = LogLevel.Warning, Message = "{Agent} in sandbox {SandboxId} did not stop within the interrupt grace; killed")]
    public static partial void KilledAfterInterrupt(ILogger logger, string agent, string sandboxId);

    [LoggerMessage(EventId = 2054, Level = LogLevel.Debug, Message = "{Agent} in sandbox {SandboxId} wrote a line that is not JSON: {Line}")]
    public static partial void UnparsedLine(ILogger logger, string agent, string sandboxId, string line);

    [LoggerMessage(EventId = 2055, Level = LogLevel.Information, Message = "{Agent} in sandbox {SandboxId} asks: {Question}")]
    public static partial void Asking(ILogger logger, string agent, string sandboxId, string question);

    [LoggerMessage(EventId = 2056, Level = LogLevel.Warning, Message = "{Agent} in sandbox {SandboxId}: a question could not be answered")]
    public static partial void QuestionFailed(ILogger logger, string agent, string sandboxId, Exception exception);

    [LoggerMessage(EventId = 2060, Level = LogLevel.Debug, Message = "{Agent} in sandbox {SandboxId} sent control request {Subtype}, which is not supported")]
    public static partial void UnsupportedControlRequest(ILogger logger, string agent, string sandboxId, string subtype);
}
