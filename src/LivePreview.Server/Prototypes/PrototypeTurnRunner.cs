using LivePreview.Agents;
using LivePreview.Events;
using LivePreview.Frameworks;
using Microsoft.Extensions.Options;

namespace LivePreview.Prototypes;

/// <summary>
/// One prompt, start to checkpoint: the agent's turn (each event published as it happens), then
/// the dev server's verdict; errors go back to the agent for a bounded number of fix turns; finally
/// a git checkpoint of what changed. The agent asks the user through the same QUESTION flow as an agent
/// session's (<c>ask_user</c>, a CLI's permission prompts), under the prototype session's id.
/// </summary>
internal sealed class PrototypeTurnRunner(
    IEventBus events,
    AgentEventPublisher publisher,
    WorkspaceChangeTracker changes,
    AgentWorkspaceFactory workspaces,
    PrototypeCheckpoints checkpoints,
    PreviewBuildCheck buildCheck,
    Agents.Cli.IAgentQuestions questions,
    IOptions<PrototypeOptions> options)
{
    public async Task<TurnOutcome> RunAsync(PrototypeSessionRecord session, string turnId, string prompt, IAgentAdapter agent,
        IReadOnlyList<AgentMessage> history, CancellationToken ct)
    {
        await checkpoints.EnsureInitialAsync(session, ct);
        await using var watcher = new PreviewSettleWatcher(events, session.SandboxId);
        var workspace = workspaces.For(session.SandboxId);
        IReadOnlyList<string> feedback = [];
        var transcript = new AgentTranscript();
        FrameworkCatalog.TryGet(session.Framework, out var framework);
        var attempt = 0;
        for (; ; attempt++)
        {
            watcher.Reset();
            var turn = new AgentTurn(session.Id, session.SandboxId, session.Framework, prompt, session.Model, history, feedback, workspace,
                Questions: questions);
            var agentEvents = changes.Track(session.SandboxId, agent, agent.RunTurnAsync(turn, ct), ct);
            var failure = await publisher.StreamAsync(Scope(session, turnId), agentEvents, transcript, ct);
            if (failure is not null)
            {
                return new TurnOutcome(transcript.Text.ToString(), failure, attempt, await checkpoints.CommitTurnAsync(session, turnId, prompt, ct));
            }
            feedback = await watcher.SettleAsync(options.Value.SettleTimeout, options.Value.SettleGrace, ct);
            if (feedback.Count == 0 && transcript.Edited.Count > 0)
            {
                feedback = await buildCheck.CheckAsync(session.SandboxId, framework, transcript.Edited, ct);
            }
            if (feedback.Count == 0 || attempt >= options.Value.MaxFixAttempts)
            {
                break;
            }
            await Publish(session, turnId, EventTypes.AgentFeedback, new { attempt = attempt + 1, errors = feedback });
        }
        var checkpoint = await checkpoints.CommitTurnAsync(session, turnId, prompt, ct);
        var remaining = feedback.Count == 0 ? null : $"The preview still reports errors after {attempt} fix attempts: {feedback[0]}";
        return new TurnOutcome(transcript.Text.ToString(), remaining, attempt, checkpoint);
    }

    private Task Publish(PrototypeSessionRecord session, string turnId, string type, object payload) =>
        publisher.PublishAsync(Scope(session, turnId), type, payload);

    private static AgentEventScope Scope(PrototypeSessionRecord session, string turnId) =>
        new(EntityTypes.Prototype, session.Id, session.SandboxId, turnId);
}

internal sealed record TurnOutcome(string Summary, string? Error, int FixAttempts, CheckpointRecord? Checkpoint);
