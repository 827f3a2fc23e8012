using LivePreview.Prototypes;
using LivePreview.Ui.Prototype;

namespace LivePreview.Tests.Ui;

public sealed class PrototypeTimelineTests
{
    private readonly PrototypeEvents _events = new();
    private readonly PrototypeTimeline _timeline = new();

    [Fact]
    public void A_turns_events_become_its_prompt_streamed_text_tool_calls_with_paths_and_outcome()
    {
        Apply(
            _events.Started("tn1", "add a navbar"),
            _events.Text("tn1", "Adding a "),
            _events.Text("tn1", "navbar."),
            _events.ToolCalled("tn1", "write_file", """{"path":"src/components/Navbar.tsx","content":"…"}"""));

        var turn = Assert.Single(_timeline.Turns);
        Assert.Equal("add a navbar", turn.Prompt);
        Assert.True(_timeline.IsWorking);
        Assert.Equal(new TextEntry("Adding a navbar."), turn.Entries[0]);
        Assert.Equal(new ToolEntry("write_file", "src/components/Navbar.tsx", null, Done: false, Succeeded: false), turn.Entries[1]);

        Apply(_events.ToolCompleted("tn1", "write_file", "src/components/Navbar.tsx", "Wrote src/components/Navbar.tsx (650 B)"), _events.Completed("tn1", "cpabc"));

        Assert.Equal(new ToolEntry("write_file", "src/components/Navbar.tsx", "Wrote src/components/Navbar.tsx (650 B)", Done: true, Succeeded: true), turn.Entries[1]);
        Assert.Equal(2, turn.Entries.Count);
        Assert.Equal(TurnState.Completed, turn.State);
        Assert.Equal("cpabc", turn.CheckpointId);
        Assert.False(_timeline.IsWorking);
    }

    [Fact]
    public void Feedback_from_the_preview_a_failed_tool_and_the_agents_error_are_shown_as_such()
    {
        Apply(
            _events.Started("tn1", "break it"),
            _events.ToolCalled("tn1", "replace_text", """{"path":"src/App.tsx"}"""),
            _events.ToolCompleted("tn1", "replace_text", "src/App.tsx", "The text to replace was not found in src/App.tsx.", succeeded: false),
            _events.Feedback("tn1", 1, "[vite] Internal server error: Failed to resolve import"),
            _events.AgentError("tn1", "The replay agent cannot fix what the preview reports"),
            _events.Failed("tn1", "failed", "The preview still reports errors"));

        var turn = Assert.Single(_timeline.Turns);
        Assert.False(((ToolEntry)turn.Entries[0]).Succeeded);
        Assert.Equal(1, ((FeedbackEntry)turn.Entries[1]).Attempt);
        Assert.IsType<ErrorEntry>(turn.Entries[2]);
        Assert.Equal((TurnState.Failed, "The preview still reports errors"), (turn.State, turn.Error));
    }

    [Fact]
    public void An_event_applied_twice_or_a_stored_turn_after_its_events_changes_nothing()
    {
        var started = _events.Started("tn1", "add a navbar");
        var text = _events.Text("tn1", "Adding it.");
        var completed = _events.Completed("tn1");
        Apply(started, text, completed, text, started);
        _timeline.Seed([View("tn1", "completed", "Added a navbar.")], sessionWorking: false);

        var turn = Assert.Single(_timeline.Turns);
        Assert.Equal([new TextEntry("Adding it.")], turn.Entries);
        Assert.Equal(TurnState.Completed, turn.State);
        Assert.Equal(completed.Sequence, _timeline.Cursor);
    }

    [Fact]
    public void Turns_whose_events_expired_are_shown_from_the_store_before_newer_ones()
    {
        Apply(_events.Started("tn2", "second"));
        _timeline.Seed([View("tn1", "completed", "Did the first thing.", minutesAgo: 10), View("tn2", "running", null)], sessionWorking: true);

        Assert.Equal(["first", "second"], _timeline.Turns.Select(t => t.Prompt));
        Assert.Equal("Did the first thing.", _timeline.Turns[0].Summary);
        Assert.Equal(TurnState.Running, _timeline.Turns[1].State);
    }

    [Fact]
    public void A_turn_stored_as_running_while_none_runs_was_cut_off_until_its_outcome_arrives()
    {
        _timeline.Seed([View("tn1", "running", null)], sessionWorking: false);

        Assert.Equal(TurnState.Cancelled, _timeline.Turns[0].State);
        Assert.False(_timeline.IsWorking);

        Apply(_events.Completed("tn1"));

        Assert.Equal(TurnState.Completed, _timeline.Turns[0].State);
    }

    [Fact]
    public void When_the_session_ends_a_running_turn_is_cancelled_and_the_timeline_says_it_ended()
    {
        Apply(_events.Started("tn1", "add a navbar"), _events.Ended());

        Assert.True(_timeline.Ended);
        Assert.Equal(TurnState.Cancelled, _timeline.Turns[0].State);
        Assert.False(_timeline.IsWorking);
    }

    private void Apply(params LivePreview.Events.LivePreviewEvent[] events)
    {
        foreach (var e in events)
        {
            _timeline.Apply(e);
        }
    }

    private static TurnView View(string id, string status, string? summary, int minutesAgo = 0)
    {
        var at = new DateTimeOffset(2026, 11, 25, 17, 0, 0, TimeSpan.Zero).AddMinutes(-minutesAgo);
        var prompt = id == "tn1" ? "first" : "second";
        return new TurnView(id, prompt, status, summary, null, status == "completed" ? "cp1" : null, 0, at, status == "running" ? null : at.AddSeconds(2));
    }
}
