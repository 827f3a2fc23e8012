using LivePreview.Events;
using LivePreview.Prototypes;

namespace LivePreview.Ui.Prototype;

/// <summary>
/// The conversation of a prototyping session, folded from its events: the turns as stored (so a turn
/// whose events have expired still shows), then each event in sequence. Applying an event twice, or a
/// stored turn after its events, changes nothing: the page may replay and go live without gaps or doubles.
/// </summary>
internal sealed class PrototypeTimeline
{
    private readonly List<TurnItem> _turns = [];

    /// <summary>Every event type that changes the conversation.</summary>
    public static IReadOnlySet<string> Types { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        Events.EventTypes.PromptStarted, Events.EventTypes.PromptCompleted, Events.EventTypes.PromptFailed, Events.EventTypes.AgentText,
        Events.EventTypes.AgentToolCalled, Events.EventTypes.AgentToolCompleted, Events.EventTypes.AgentFeedback,
        Events.EventTypes.PrototypeSessionEnded,
    };

    public IReadOnlyList<TurnItem> Turns => _turns;

    public bool IsWorking => _turns.Any(t => t.State == TurnState.Running);

    public bool Ended { get; private set; }

    /// <summary>The last event applied; older ones are ignored.</summary>
    public long Cursor { get; private set; }

    /// <param name="stored">The session's turns as stored.</param>
    /// <param name="sessionWorking">
    /// Whether a turn runs now. A turn stored as running while none runs was cut off (the service
    /// stopped mid-turn); its PROMPT_COMPLETED, if it is about to come, still sets it right.
    /// </param>
    public void Seed(IEnumerable<TurnView> stored, bool sessionWorking)
    {
        foreach (var view in stored)
        {
            var turn = Find(view.Id) ?? AddTurn(view.Id, view.Prompt, view.CreatedAt);
            if (turn.State == TurnState.Running && view.Status != "running")
            {
                (turn.State, turn.Error, turn.EndedAt) = (State(view.Status), view.Error, view.CompletedAt);
            }
            else if (turn.State == TurnState.Running && !sessionWorking)
            {
                (turn.State, turn.Error) = (TurnState.Cancelled, "Cut off: the service stopped while this prompt ran.");
            }
            turn.Summary ??= view.Summary;
            turn.CheckpointId ??= view.CheckpointId;
        }
        // Turns whose events have expired are older than those the events brought.
        var ordered = _turns.OrderBy(t => t.StartedAt).ToList();
        _turns.Clear();
        _turns.AddRange(ordered);
    }

    /// <summary>The session is over; a turn still shown as running was cut off by it.</summary>
    public void MarkEnded()
    {
        Ended = true;
        foreach (var running in _turns.Where(t => t.State == TurnState.Running))
        {
            (running.State, running.Error) = (TurnState.Cancelled, "The session ended.");
        }
    }

    /// <summary>Applies one event; false when it was already applied or does not concern the conversation.</summary>
    public bool Apply(LivePreviewEvent e)
    {
        if (e.Sequence <= Cursor || e.EntityType != "prototype" || !Types.Contains(e.Type))
        {
            return false;
        }
        Cursor = e.Sequence;
        if (e.Type == Events.EventTypes.PrototypeSessionEnded)
        {
            MarkEnded();
            return true;
        }
        var turnId = EventPayload.Text(e.Payload, "turn_id");
        if (turnId is null)
        {
            return false;
        }
        if (e.Type == Events.EventTypes.PromptStarted)
        {
            _ = Find(turnId) ?? AddTurn(turnId, EventPayload.Text(e.Payload, "prompt") ?? "", e.Timestamp);
            return true;
        }
        return Find(turnId) is { } turn && Apply(turn, e);
    }

    private static bool Apply(TurnItem turn, LivePreviewEvent e)
    {
        var details = EventPayload.Details(e.Payload);
        switch (e.Type)
        {
            case Events.EventTypes.AgentText when EventPayload.Text(details, "error") is { } error:
                turn.Add(new ErrorEntry(error));
                break;
            case Events.EventTypes.AgentText:
                turn.AddText(EventPayload.Text(details, "text") ?? "");
                break;
            case Events.EventTypes.AgentToolCalled:
                var path = EventPayload.Text(details, "path") ?? EventPayload.PathArgument(EventPayload.Text(details, "arguments"));
                turn.Add(new ToolEntry(EventPayload.Text(details, "tool") ?? "tool", path, null, Done: false, Succeeded: false));
                break;
            case Events.EventTypes.AgentToolCompleted:
                turn.CompleteTool(EventPayload.Text(details, "tool") ?? "tool", EventPayload.Text(details, "path"),
                    EventPayload.Text(details, "summary"), EventPayload.Bool(details, "succeeded") ?? true);
                break;
            case Events.EventTypes.AgentFeedback:
                turn.Add(new FeedbackEntry(EventPayload.Int(details, "attempt"), EventPayload.Strings(details, "errors")));
                break;
            default:
                turn.State = State(EventPayload.Text(e.Payload, "status") ?? (e.Type == Events.EventTypes.PromptCompleted ? "completed" : "failed"));
                turn.Error = EventPayload.Text(e.Payload, "error");
                turn.CheckpointId = EventPayload.Text(e.Payload, "checkpoint_id");
                turn.EndedAt = e.Timestamp;
                break;
        }
        return true;
    }

    private TurnItem? Find(string id) => _turns.FirstOrDefault(t => t.Id == id);

    private TurnItem AddTurn(string id, string prompt, DateTimeOffset at)
    {
        var turn = new TurnItem(id, prompt, at);
        _turns.Add(turn);
        return turn;
    }

    private static TurnState State(string status) => status switch
    {
        "completed" => TurnState.Completed,
        "failed" => TurnState.Failed,
        "cancelled" => TurnState.Cancelled,
        _ => TurnState.Running,
    };
}
