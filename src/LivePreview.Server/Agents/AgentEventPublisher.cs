using System.Text;
using LivePreview.Events;

namespace LivePreview.Agents;

/// <summary>
/// Where a turn's events go: the entity that owns the turn (a prototype session, an agent session),
/// its sandbox, and the turn. Every event is <c>{ turn_id, details }</c> so one feed renders both.
/// </summary>
public sealed record AgentEventScope(string EntityType, string EntityId, string SandboxId, string TurnId);

/// <summary>
/// What a turn produced so far. Mutable and owned by the caller, so a turn that is cancelled mid-way
/// still leaves its partial text behind (an interrupted session resumes with it as history).
/// </summary>
public sealed class AgentTranscript
{
    public StringBuilder Text { get; } = new();

    /// <summary>Workspace paths the agent changed (writes, replacements, deletions; reads and listings are not edits).</summary>
    public HashSet<string> Edited { get; } = new(StringComparer.Ordinal);

    public long? InputTokens { get; private set; }

    public long? OutputTokens { get; private set; }

    internal void Add(AgentTurnCompleted completed)
    {
        InputTokens = (InputTokens ?? 0) + (completed.InputTokens ?? 0);
        OutputTokens = (OutputTokens ?? 0) + (completed.OutputTokens ?? 0);
    }
}

/// <summary>
/// The one place an agent's activity becomes events (AGENT_TEXT, AGENT_TOOL_CALLED, AGENT_TOOL_COMPLETED),
/// as it happens: prototypes and agent sessions both stream through it, so every adapter looks the same
/// in every feed. Text deltas are coalesced per burst (until a tool event or 400 characters) to keep the
/// event log small without delaying what people watch.
/// </summary>
public sealed class AgentEventPublisher(IEventBus events)
{
    private const int TextBurst = 400;

    /// <summary>Runs <paramref name="agentEvents"/> to its end, publishing as it goes. Returns the turn's failure message, or null.</summary>
    /// <exception cref="OperationCanceledException">The turn was cancelled; what came before is published and in <paramref name="transcript"/>.</exception>
    public async Task<string?> StreamAsync(AgentEventScope scope, IAsyncEnumerable<AgentEvent> agentEvents, AgentTranscript transcript, CancellationToken ct)
    {
        var text = new StringBuilder();
        string? failure = null;
        var afterTool = false;
        try
        {
            await foreach (var e in agentEvents.WithCancellation(ct))
            {
                if (e is AgentTextDelta delta)
                {
                    // What the agent says after a tool call is a new paragraph of the turn's summary, not a run-on of the last.
                    if (afterTool && transcript.Text.Length > 0 && !char.IsWhiteSpace(transcript.Text[^1]) && delta.Text.Length > 0 && !char.IsWhiteSpace(delta.Text[0]))
                    {
                        transcript.Text.Append("\n\n");
                    }
                    afterTool = false;
                    text.Append(delta.Text);
                    transcript.Text.Append(delta.Text);
                    if (text.Length < TextBurst)
                    {
                        continue;
                    }
                }
                await FlushTextAsync(scope, text);
                afterTool |= e is AgentToolCalled or AgentToolCompleted;
                failure = e is AgentFailed failed ? failed.Message : failure;
                if (e is AgentToolCompleted { Succeeded: true, Path: { } path } && e is not AgentToolCompleted { Tool: "read_file" or "list_files" })
                {
                    transcript.Edited.Add(path);
                }
                if (e is AgentTurnCompleted completed)
                {
                    transcript.Add(completed);
                }
                await PublishAgentEventAsync(scope, e);
            }
        }
        finally
        {
            // Also when cancelled: the text the agent already said belongs in the feed.
            await FlushTextAsync(scope, text);
        }
        return failure;
    }

    /// <summary>Any other event of the turn, in the same <c>{ turn_id, details }</c> shape.</summary>
    public Task PublishAsync(AgentEventScope scope, string type, object payload) =>
        events.PublishAsync(new EventDraft(type, scope.EntityType, scope.EntityId, scope.SandboxId, new { turn_id = scope.TurnId, details = payload }),
            CancellationToken.None);

    private Task PublishAgentEventAsync(AgentEventScope scope, AgentEvent e) => e switch
    {
        AgentToolCalled c => PublishAsync(scope, EventTypes.AgentToolCalled, new { tool = c.Tool, arguments = c.ArgumentsJson, path = c.Path }),
        AgentToolCompleted c => PublishAsync(scope, EventTypes.AgentToolCompleted, new { tool = c.Tool, succeeded = c.Succeeded, summary = c.Summary, path = c.Path }),
        AgentFailed f => PublishAsync(scope, EventTypes.AgentText, new { error = f.Message }),
        _ => Task.CompletedTask,
    };

    private async Task FlushTextAsync(AgentEventScope scope, StringBuilder text)
    {
        if (text.Length > 0)
        {
            await PublishAsync(scope, EventTypes.AgentText, new { text = text.ToString() });
            text.Clear();
        }
    }
}
