using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LivePreview.AgentSessions;

/// <summary>Where a session is. Stored as its lower-case name; see docs/ARCHITECTURE.md for the transitions.</summary>
public enum AgentSessionStatus { Running, WaitingForAnswer, Interrupted, Completed, Failed }

public enum AgentSessionTurnStatus { Running, Completed, Failed, Interrupted }

/// <summary>
/// An agent working in a sandbox (table <c>agent_sessions</c>): a sequence of turns on one conversation.
/// At most one session per sandbox is active (running or waiting for an answer); a unique filtered index
/// enforces it, so two racing starts cannot both win.
/// </summary>
public sealed class AgentSessionRecord
{
    public required string Id { get; set; }

    public required string SandboxId { get; set; }

    /// <summary>Who started it; stored so the session stays theirs after its sandbox is gone.</summary>
    public string? Owner { get; set; }

    public required string Agent { get; set; }

    public string? Model { get; set; }

    public AgentSessionStatus Status { get; set; }

    /// <summary>The first instruction (each turn keeps its own).</summary>
    public required string Instruction { get; set; }

    /// <summary>A CLI agent's own conversation id (Claude Code's session id, say), so a resume continues that conversation.</summary>
    public string? ResumeToken { get; set; }

    /// <summary>Why it failed or was interrupted, in words for people.</summary>
    public string? Error { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>When it completed or failed; cleared by a resume.</summary>
    public DateTimeOffset? EndedAt { get; set; }
}

/// <summary>One instruction and what the agent made of it (table <c>agent_session_turns</c>).</summary>
public sealed class AgentSessionTurnRecord
{
    public required string Id { get; set; }

    public required string SessionId { get; set; }

    public required string Instruction { get; set; }

    public AgentSessionTurnStatus Status { get; set; }

    /// <summary>What the agent said (its text, also when interrupted part-way): the history later turns get.</summary>
    public string? Summary { get; set; }

    public string? Error { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    public long? InputTokens { get; set; }

    public long? OutputTokens { get; set; }
}

internal sealed class AgentSessionConfiguration : IEntityTypeConfiguration<AgentSessionRecord>
{
    public void Configure(EntityTypeBuilder<AgentSessionRecord> e)
    {
        e.ToTable("agent_sessions");
        e.HasKey(x => x.Id);
        e.Property(x => x.Status).HasConversion(s => AgentSessionStates.Name(s), s => AgentSessionStates.Parse(s));
        e.HasIndex(x => new { x.SandboxId, x.CreatedAt });
        e.HasIndex(x => x.Owner);
        // One active session per sandbox, by the database itself.
        e.HasIndex(x => x.SandboxId).IsUnique().HasDatabaseName("IX_agent_sessions_active_sandbox")
            .HasFilter("\"Status\" IN ('running', 'waiting_for_answer')");
    }
}

internal sealed class AgentSessionTurnConfiguration : IEntityTypeConfiguration<AgentSessionTurnRecord>
{
    public void Configure(EntityTypeBuilder<AgentSessionTurnRecord> e)
    {
        e.ToTable("agent_session_turns");
        e.HasKey(x => x.Id);
        e.Property(x => x.Status).HasConversion<string>();
        e.HasIndex(x => new { x.SessionId, x.StartedAt });
    }
}

/// <summary>The states' wire and storage names (snake case, as the API shows them).</summary>
public static class AgentSessionStates
{
    public static string Name(AgentSessionStatus status) => status switch
    {
        AgentSessionStatus.Running => "running",
        AgentSessionStatus.WaitingForAnswer => "waiting_for_answer",
        AgentSessionStatus.Interrupted => "interrupted",
        AgentSessionStatus.Completed => "completed",
        _ => "failed",
    };

    public static AgentSessionStatus Parse(string name) => name switch
    {
        "running" => AgentSessionStatus.Running,
        "waiting_for_answer" => AgentSessionStatus.WaitingForAnswer,
        "interrupted" => AgentSessionStatus.Interrupted,
        "completed" => AgentSessionStatus.Completed,
        _ => AgentSessionStatus.Failed,
    };

    public static bool IsActive(AgentSessionStatus status) => status is AgentSessionStatus.Running or AgentSessionStatus.WaitingForAnswer;
}
