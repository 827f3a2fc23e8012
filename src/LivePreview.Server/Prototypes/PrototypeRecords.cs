namespace LivePreview.Prototypes;

/// <summary>A prototyping session: one sandbox, one agent choice, a history of turns and checkpoints.</summary>
public sealed class PrototypeSessionRecord
{
    public required string Id { get; set; }
    public required string SandboxId { get; set; }
    public required string Framework { get; set; }

    /// <summary>
    /// The user who started it. Stored, not derived from the sandbox: the session outlives its sandbox (a
    /// deleted sandbox, an ended session), and its owner must not turn into "nobody's" (admin-only) then.
    /// </summary>
    public string? Owner { get; set; }
    public string? Agent { get; set; }
    public string? Model { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
}

public enum TurnStatus { Running, Completed, Failed, Cancelled }

/// <summary>One prompt and what came of it.</summary>
public sealed class PrototypeTurnRecord
{
    public required string Id { get; set; }
    public required string SessionId { get; set; }
    public required string Prompt { get; set; }
    public TurnStatus Status { get; set; }
    public string? Summary { get; set; }
    public string? Error { get; set; }
    public string? CheckpointId { get; set; }
    public int FixAttempts { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
}

/// <summary>A git commit in the sandbox's workspace: after every prompt, at the start, and for every restore.</summary>
public sealed class CheckpointRecord
{
    public required string Id { get; set; }
    public required string SessionId { get; set; }
    public required string Sha { get; set; }
    public required string Message { get; set; }
    public required string Kind { get; set; }
    public string? TurnId { get; set; }
    public required string FilesJson { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
