namespace LivePreview.Ui.Prototype;

/// <summary>Where a turn is: running until PROMPT_COMPLETED or PROMPT_FAILED says otherwise.</summary>
public enum TurnState { Running, Completed, Failed, Cancelled }

/// <summary>One prompt and what the agent did for it, as the conversation shows it.</summary>
public sealed class TurnItem(string id, string prompt, DateTimeOffset startedAt)
{
    private readonly List<TurnEntry> _entries = [];

    public string Id { get; } = id;

    public string Prompt { get; } = prompt;

    public DateTimeOffset StartedAt { get; } = startedAt;

    public TurnState State { get; set; } = TurnState.Running;

    public DateTimeOffset? EndedAt { get; set; }

    public string? Error { get; set; }

    /// <summary>The stored summary: shown only when the events of the turn are no longer stored.</summary>
    public string? Summary { get; set; }

    public string? CheckpointId { get; set; }

    public IReadOnlyList<TurnEntry> Entries => _entries;

    /// <summary>Text streams in bursts; consecutive bursts read as one paragraph.</summary>
    public void AddText(string text)
    {
        if (_entries.Count > 0 && _entries[^1] is TextEntry last)
        {
            _entries[^1] = new TextEntry(last.Text + text);
            return;
        }
        _entries.Add(new TextEntry(text));
    }

    public void Add(TurnEntry entry) => _entries.Add(entry);

    /// <summary>Completes the oldest call of this tool still running (calls complete in the order they were made).</summary>
    public void CompleteTool(string tool, string? path, string? summary, bool succeeded)
    {
        var index = _entries.FindIndex(e => e is ToolEntry { Done: false } t && t.Tool == tool);
        var completed = new ToolEntry(tool, path, summary, Done: true, succeeded);
        if (index < 0)
        {
            _entries.Add(completed);
            return;
        }
        _entries[index] = completed with { Path = path ?? ((ToolEntry)_entries[index]).Path };
    }
}

public abstract record TurnEntry;

public sealed record TextEntry(string Text) : TurnEntry;

/// <param name="Summary">One line for people once it finished ("Edited src/App.tsx"), or the error the agent was sent.</param>
public sealed record ToolEntry(string Tool, string? Path, string? Summary, bool Done, bool Succeeded) : TurnEntry;

/// <summary>The preview reported errors after the agent's edits; they go back to the agent.</summary>
public sealed record FeedbackEntry(int Attempt, IReadOnlyList<string> Errors) : TurnEntry;

/// <summary>The agent could not go on (model, network, configuration, an unanswerable replay).</summary>
public sealed record ErrorEntry(string Message) : TurnEntry;
