using LivePreview.Agents.Cli;
using LivePreview.Questions;

namespace LivePreview.AgentSessions;

/// <summary>
/// What CLI adapters ask through: Claude Code's own questions and permission prompts become <c>QUESTION</c>s
/// of their session, answered through <c>POST /api/v1/sandbox/{id}/answer</c> like any other.
/// </summary>
internal sealed class AgentSessionQuestions(QuestionService questions) : IAgentQuestions
{
    public async Task<string> AskAsync(AgentQuestion question, CancellationToken cancellationToken)
    {
        var answer = await questions.AskAsync(question.SandboxId, question.SessionId, question.Question, question.Choices, cancellationToken);
        return answer.Status == QuestionStatus.Answered && answer.Answer is { } text ? text
            : "The user did not answer in time (the question expired). Go on with your best judgement, or stop and say what you need.";
    }
}

/// <summary>
/// Keeps a session <c>waiting_for_answer</c> while a question of its sandbox waits — also an MCP <c>ask_user</c>
/// from inside the sandbox, which names no session. A prototype session's id names no agent session: nothing is
/// marked (a prototype shows its wait from the pending question itself). The manager is resolved when first needed: it depends on the
/// agents, which depend (through <see cref="IAgentQuestions"/>) on the questions that call this.
/// </summary>
internal sealed class AgentSessionWaits(IServiceProvider services) : IQuestionObserver
{
    public async Task WaitingChangedAsync(string sandboxId, string? sessionId, bool waiting, CancellationToken cancellationToken)
    {
        var sessions = services.GetRequiredService<AgentSessionManager>();
        var id = sessionId ?? (await sessions.FindActiveAsync(sandboxId, cancellationToken))?.Id;
        if (id is not null)
        {
            await sessions.MarkWaitingAsync(id, waiting, cancellationToken);
        }
    }
}
