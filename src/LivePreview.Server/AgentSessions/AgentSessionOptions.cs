namespace LivePreview.AgentSessions;

/// <summary>Limits of agent sessions (LivePreview:AgentSessions).</summary>
public sealed class AgentSessionOptions
{
    public const string Section = "LivePreview:AgentSessions";

    /// <summary>Longest instruction accepted, in characters; a longer one is a 400 rather than a huge model request.</summary>
    public int MaxInstructionLength { get; set; } = 20_000;

    /// <summary>How many earlier turns a new turn gets as history (oldest dropped first), to bound the model request.</summary>
    public int HistoryTurns { get; set; } = 20;
}
