namespace LivePreview.Questions;

/// <summary>
/// Told when an agent starts and stops waiting for an answer, so what the agent belongs to can show it
/// (an agent session is <c>waiting_for_answer</c> meanwhile). Questions know nothing of sessions; sessions
/// plug in here.
/// </summary>
public interface IQuestionObserver
{
    /// <param name="sessionId">The asker's session when it said (chat and CLI adapters); null for an MCP <c>ask_user</c> from the sandbox.</param>
    Task WaitingChangedAsync(string sandboxId, string? sessionId, bool waiting, CancellationToken cancellationToken);
}
