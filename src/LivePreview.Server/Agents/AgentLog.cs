namespace LivePreview.Agents;

/// <summary>Log messages of the agents feature (event ids 800–849).</summary>
internal static partial class AgentLog
{
    [LoggerMessage(EventId = 800, Level = LogLevel.Information, Message = "Agent {Agent} starts a turn in sandbox {SandboxId} with model {Model}")]
    public static partial void TurnStarted(ILogger logger, string agent, string sandboxId, string? model);

    [LoggerMessage(EventId = 801, Level = LogLevel.Information, Message = "Agent {Agent} finished its turn in sandbox {SandboxId} after {Rounds} rounds ({InputTokens} tokens in, {OutputTokens} out)")]
    public static partial void TurnCompleted(ILogger logger, string agent, string sandboxId, int rounds, long? inputTokens, long? outputTokens);

    [LoggerMessage(EventId = 802, Level = LogLevel.Warning, Message = "Agent {Agent} failed its turn in sandbox {SandboxId}")]
    public static partial void TurnFailed(ILogger logger, string agent, string sandboxId, Exception exception);

    [LoggerMessage(EventId = 803, Level = LogLevel.Debug, Message = "Agent tool {Tool} in sandbox {SandboxId}: {Summary}")]
    public static partial void ToolCompleted(ILogger logger, string tool, string sandboxId, string summary);

    [LoggerMessage(EventId = 804, Level = LogLevel.Warning, Message = "Agent {Agent} stopped in sandbox {SandboxId} after {Rounds} rounds of tool calls")]
    public static partial void TooManyRounds(ILogger logger, string agent, string sandboxId, int rounds);

    [LoggerMessage(EventId = 805, Level = LogLevel.Warning, Message = "Replay transcript {File} could not be read")]
    public static partial void TranscriptUnreadable(ILogger logger, string file, Exception exception);
}
