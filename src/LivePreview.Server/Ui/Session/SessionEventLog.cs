using LivePreview.Events;
using LivePreview.Ui.Sandbox;

namespace LivePreview.Ui.Session;

/// <summary>
/// What the session page has seen of its sandbox's events, folded once: the feed's items and the Files tab's
/// edits. Idempotent by sequence (the stored replay and the live stream overlap); the dev server's output is
/// left to the Preview tab, which shows its log, and the preview grants the page's own panel makes are left out.
/// </summary>
internal sealed class SessionEventLog(int limit)
{
    /// <summary>The events whose arrival changes the session's state, its questions, or the sandbox and its preview: the page reads those again.</summary>
    public static readonly IReadOnlySet<string> StateEvents = new HashSet<string>(StringComparer.Ordinal)
    {
        EventTypes.SessionStarted, EventTypes.Interrupted, EventTypes.Resumed, EventTypes.SessionCompleted, EventTypes.SessionFailed,
        EventTypes.Question, EventTypes.Answered, EventTypes.QuestionExpired,
        EventTypes.SandboxCreated, EventTypes.SandboxStopped, EventTypes.SandboxDeleted, EventTypes.SandboxFailed,
        EventTypes.PreviewPending, EventTypes.PreviewStarting, EventTypes.PreviewReady, EventTypes.PreviewFailed, EventTypes.PreviewStopped,
    };

    /// <summary>Not shown in the feed: the dev server's output and the grants each opened preview panel makes.</summary>
    private static readonly IReadOnlySet<string> Hidden = new HashSet<string>(StringComparer.Ordinal)
    {
        EventTypes.DevServerLog, EventTypes.GrantCreated, EventTypes.GrantRevoked,
    };

    private readonly List<ActivityItem> _items = [];
    private readonly List<FileEdit> _edits = [];

    /// <summary>The last sequence folded in.</summary>
    public long Cursor { get; private set; }

    /// <summary>Oldest first.</summary>
    public IReadOnlyList<ActivityItem> Items => _items;

    /// <summary>Oldest first.</summary>
    public IReadOnlyList<FileEdit> Edits => _edits;

    /// <summary>Folds in the events newer than <see cref="Cursor"/>; true when one of them is a <see cref="StateEvents"/> event.</summary>
    public bool Add(IEnumerable<LivePreviewEvent> events)
    {
        var stateChanged = false;
        foreach (var e in events.Where(e => e.Sequence > Cursor).OrderBy(e => e.Sequence))
        {
            Cursor = e.Sequence;
            stateChanged |= StateEvents.Contains(e.Type);
            if (Hidden.Contains(e.Type))
            {
                continue;
            }
            _items.Add(ActivityItem.From(e));
            if (FileEdit.From(e) is { } edit)
            {
                _edits.Add(edit);
            }
        }
        Trim(_items);
        Trim(_edits);
        return stateChanged;
    }

    private void Trim<T>(List<T> list)
    {
        if (list.Count > limit)
        {
            list.RemoveRange(0, list.Count - limit);
        }
    }
}
