namespace LivePreview.AgentSessions;

public sealed record StartAgentSessionRequest(string? Agent, string? Instruction, string? Model);

public sealed record ResumeAgentSessionRequest(string? Instruction);

/// <summary>
/// A session as a feed renders it: where it is, what can be done next (<see cref="CanInterrupt"/>,
/// <see cref="CanResume"/>), and its turns oldest first. The live activity comes from the sandbox's events
/// (entity type "session", <see cref="Id"/>); this view is what a page loads first and after a reconnect.
/// </summary>
public sealed record AgentSessionView(
    string Id, string SandboxId, string Agent, string? Model, string Status, string Instruction, string? Error,
    bool CanInterrupt, bool CanResume, IReadOnlyList<AgentSessionTurnView> Turns,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? EndedAt)
{
    public static AgentSessionView From(AgentSessionRecord s, IEnumerable<AgentSessionTurnRecord> turns) =>
        new(s.Id, s.SandboxId, s.Agent, s.Model, AgentSessionStates.Name(s.Status), s.Instruction, s.Error,
            AgentSessionStates.IsActive(s.Status), !AgentSessionStates.IsActive(s.Status),
            turns.OrderBy(t => t.StartedAt).Select(AgentSessionTurnView.From).ToList(), s.CreatedAt, s.UpdatedAt, s.EndedAt);
}

public sealed record AgentSessionTurnView(
    string Id, string Instruction, string Status, string? Summary, string? Error,
    DateTimeOffset StartedAt, DateTimeOffset? EndedAt, long? InputTokens, long? OutputTokens)
{
    public static AgentSessionTurnView From(AgentSessionTurnRecord t) =>
        new(t.Id, t.Instruction, t.Status.ToString().ToLowerInvariant(), t.Summary, t.Error, t.StartedAt, t.EndedAt, t.InputTokens, t.OutputTokens);
}

/// <summary>The sandbox has no session yet (or is not the caller's: the same 404 — see SandboxManager.RequireVisibleAsync).</summary>
public sealed class AgentSessionNotFoundException(string sandboxId)
    : Exception($"Sandbox '{sandboxId}' has no agent session; start one with POST /api/v1/sandbox/{sandboxId}/session.");

/// <summary>The call does not fit the session's state; the message names the session and its state, and what to do instead.</summary>
public sealed class AgentSessionConflictException(string message) : Exception(message);

public sealed class InvalidAgentSessionRequestException(string message) : Exception(message);
