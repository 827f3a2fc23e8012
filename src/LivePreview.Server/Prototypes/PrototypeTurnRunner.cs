using System.Text;
using LivePreview.Agents;
using LivePreview.Events;
using LivePreview.Frameworks;
using Microsoft.Extensions.Options;

namespace LivePreview.Prototypes;

/// <summary>
/// One prompt, start to checkpoint: the agent's turn (each event published as it happens), then
/// the dev server's verdict; errors go back to the agent for a bounded number of fix turns; finally
/// a git checkpoint of what changed.
/// </summary>
internal sealed class PrototypeTurnRunner(
    IEventBus events,
    AgentWorkspaceFactory workspaces,
    PrototypeCheckpoints checkpoints,
    PreviewBuildCheck buildCheck,
    IOptions<PrototypeOptions> options)
{
    public async Task<TurnOutcome> RunAsync(PrototypeSessionRecord session, string turnId, string prompt, IAgentAdapter agent,
        IReadOnlyList<AgentMessage> history, CancellationToken ct)
    {
        await checkpoints.EnsureInitialAsync(session, ct);
        await using var watcher = new PreviewSettleWatcher(events, session.SandboxId);
        var workspace = workspaces.For(session.SandboxId);
        IReadOnlyList<string> feedback = [];
        var summary = new StringBuilder();
        var edited = new HashSet<string>(StringComparer.Ordinal);
        FrameworkCatalog.TryGet(session.Framework, out var framework);
        var attempt = 0;
        for (; ; attempt++)
        {
            watcher.Reset();
            var turn = new AgentTurn(session.Id, session.SandboxId, session.Framework, prompt, session.Model, history, feedback, workspace);
            var failure = await StreamTurnAsync(session, turnId, agent, turn, summary, edited, ct);
            if (failure is not null)
            {
                return new TurnOutcome(summary.ToString(), failure, attempt, await checkpoints.CommitTurnAsync(session, turnId, prompt, ct));
            }
            feedback = await watcher.SettleAsync(options.Value.SettleTimeout, options.Value.SettleGrace, ct);
            if (feedback.Count == 0 && edited.Count > 0)
            {
                feedback = await buildCheck.CheckAsync(session.SandboxId, framework, edited, ct);
            }
            if (feedback.Count == 0 || attempt >= options.Value.MaxFixAttempts)
            {
                break;
            }
            await Publish(session, turnId, EventTypes.AgentFeedback, new { attempt = attempt + 1, errors = feedback });
        }
        var checkpoint = await checkpoints.CommitTurnAsync(session, turnId, prompt, ct);
        var remaining = feedback.Count == 0 ? null : $"The preview still reports errors after {attempt} fix attempts: {feedback[0]}";
        return new TurnOutcome(summary.ToString(), remaining, attempt, checkpoint);
    }

    /// <summary>Publishes the agent's events as they come; text deltas are coalesced per burst. Returns a failure message, or null.</summary>
    private async Task<string?> StreamTurnAsync(PrototypeSessionRecord session, string turnId, IAgentAdapter agent, AgentTurn turn,
        StringBuilder summary, HashSet<string> edited, CancellationToken ct)
    {
        var text = new StringBuilder();
        string? failure = null;
        await foreach (var e in agent.RunTurnAsync(turn, ct))
        {
            if (e is AgentTextDelta delta)
            {
                text.Append(delta.Text);
                summary.Append(delta.Text);
                if (text.Length < 400)
                {
                    continue;
                }
            }
            await FlushTextAsync(session, turnId, text);
            failure = e is AgentFailed failed ? failed.Message : failure;
            if (e is AgentToolCompleted { Succeeded: true, Path: { } path } && e is not AgentToolCompleted { Tool: "read_file" or "list_files" })
            {
                edited.Add(path);
            }
            await PublishAgentEventAsync(session, turnId, e);
        }
        await FlushTextAsync(session, turnId, text);
        return failure;
    }

    private Task PublishAgentEventAsync(PrototypeSessionRecord session, string turnId, AgentEvent e) => e switch
    {
        AgentToolCalled c => Publish(session, turnId, EventTypes.AgentToolCalled, new { tool = c.Tool, arguments = c.ArgumentsJson, path = c.Path }),
        AgentToolCompleted c => Publish(session, turnId, EventTypes.AgentToolCompleted, new { tool = c.Tool, succeeded = c.Succeeded, summary = c.Summary, path = c.Path }),
        AgentFailed f => Publish(session, turnId, EventTypes.AgentText, new { error = f.Message }),
        _ => Task.CompletedTask,
    };

    private async Task FlushTextAsync(PrototypeSessionRecord session, string turnId, StringBuilder text)
    {
        if (text.Length > 0)
        {
            await Publish(session, turnId, EventTypes.AgentText, new { text = text.ToString() });
            text.Clear();
        }
    }

    private Task Publish(PrototypeSessionRecord session, string turnId, string type, object payload) =>
        events.PublishAsync(new EventDraft(type, "prototype", session.Id, session.SandboxId, new { turn_id = turnId, details = payload }));
}

internal sealed record TurnOutcome(string Summary, string? Error, int FixAttempts, CheckpointRecord? Checkpoint);
