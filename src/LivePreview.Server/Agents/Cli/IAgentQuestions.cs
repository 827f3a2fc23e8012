namespace LivePreview.Agents.Cli;

/// <summary>
/// Where a CLI agent's own questions and permission prompts go: the service's QUESTION flow (a
/// QUESTION event, the answer from <c>POST /api/v1/sandbox/{id}/answer</c>). The adapter blocks the
/// agent's tool call until the answer comes back.
/// </summary>
public interface IAgentQuestions
{
    /// <returns>The answer as the person gave it (one of <see cref="AgentQuestion.Choices"/> when there are choices).</returns>
    Task<string> AskAsync(AgentQuestion question, CancellationToken cancellationToken);
}

/// <param name="Agent">Which adapter asks ("claude-code").</param>
/// <param name="Choices">Offered answers; empty means free text.</param>
/// <param name="IsPermission">A permission prompt ("may I run this?") rather than the agent's own question.</param>
public sealed record AgentQuestion(string SandboxId, string SessionId, string Agent, string Question, IReadOnlyList<string> Choices, bool IsPermission);
