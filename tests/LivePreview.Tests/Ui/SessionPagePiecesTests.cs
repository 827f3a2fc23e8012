using System.Text.Json;
using Bunit;
using LivePreview.Agents;
using LivePreview.Events;
using LivePreview.Questions;
using LivePreview.Ui.Sandbox;
using LivePreview.Ui.Session;

namespace LivePreview.Tests.Ui;

/// <summary>The session page's pieces with plain parameters: toolbar, start form, question prompt, files list, and the event fold.</summary>
public sealed class SessionPagePiecesTests : BunitContext
{
    private const string Diff = "--- a/src/App.tsx\n+++ b/src/App.tsx\n@@ -1,2 +1,2 @@\n-<h1>Hello</h1>\n+<h1>Welcome</h1>\n line 2\n";

    [Fact]
    public void The_toolbar_offers_Interrupt_while_the_agent_works_and_Resume_with_the_typed_instruction_once_it_stopped()
    {
        var interrupted = 0;
        var toolbar = Render<SessionToolbar>(p => p.Add(x => x.Status, "running").Add(x => x.CanInterrupt, true)
            .Add(x => x.OnInterrupt, () => interrupted++));
        Assert.Equal("Agent working", toolbar.Find("[data-testid=session-status]").TextContent.Trim());
        Assert.Empty(toolbar.FindAll("[data-testid=session-resume]"));
        toolbar.Find("[data-testid=session-interrupt]").Click();
        Assert.Equal(1, interrupted);

        var resumed = new List<string?>();
        var stopped = Render<SessionToolbar>(p => p.Add(x => x.Status, "interrupted").Add(x => x.CanResume, true)
            .Add(x => x.OnResume, i => { resumed.Add(i); return Task.FromResult(true); }));
        Assert.Empty(stopped.FindAll("[data-testid=session-interrupt]"));
        stopped.Find("[data-testid=session-resume]").Click();
        stopped.Find("[data-testid=session-resume-instruction]").Input("  add a footer ");
        stopped.Find("form").Submit();
        Assert.Equal([null, "add a footer"], resumed);
        Assert.Equal("", stopped.Find("[data-testid=session-resume-instruction]").GetAttribute("value"));
    }

    [Fact]
    public void A_refused_action_shows_the_problem_and_keeps_what_was_typed()
    {
        var toolbar = Render<SessionToolbar>(p => p.Add(x => x.Status, "completed").Add(x => x.CanResume, true)
            .Add(x => x.Problem, new ActionProblem(409, "Agent session not in the right state", "Session 'as_1' is running."))
            .Add(x => x.OnResume, _ => Task.FromResult(false)));

        toolbar.Find("[data-testid=session-resume-instruction]").Input("again");
        toolbar.Find("form").Submit();

        Assert.Contains("Session 'as_1' is running.", toolbar.Find("[data-testid=session-action-problem]").TextContent);
        Assert.Equal("again", toolbar.Find("[data-testid=session-resume-instruction]").GetAttribute("value"));
        Assert.Equal("Completed", toolbar.Find("[data-testid=session-status]").TextContent.Trim());
    }

    [Fact]
    public void The_start_form_picks_the_default_agent_says_what_an_unconfigured_one_needs_and_starts_with_the_instruction()
    {
        var started = new List<SessionStart>();
        AgentStatus[] agents = [new("anthropic", true, null), new("openai", false, "Set LivePreview__Agents__OpenAI__BaseUrl."), new("replay", true, null)];
        var form = Render<SessionStartForm>(p => p.Add(x => x.Agents, agents).Add(x => x.DefaultAgent, "anthropic")
            .Add(x => x.OnStart, s => { started.Add(s); return Task.FromResult(true); }));

        Assert.Equal("anthropic", form.Find("[data-testid=session-agent]").GetAttribute("value"));
        Assert.True(form.Find("[data-testid=session-start]").HasAttribute("disabled"));
        form.Find("[data-testid=session-agent]").Change("openai");
        Assert.Contains("LivePreview__Agents__OpenAI__BaseUrl", form.Find("[data-testid=session-agent-problem]").TextContent);
        form.Find("[data-testid=session-agent]").Change("replay");
        form.Find("[data-testid=session-instruction]").Input("make the header blue");
        form.Find("form").Submit();

        Assert.Equal([new SessionStart("replay", "make the header blue")], started);
        Assert.Empty(form.FindAll("[data-testid=session-agent-problem]"));
    }

    [Fact]
    public void A_question_with_choices_answers_with_the_chosen_one_and_one_without_takes_free_text()
    {
        var answers = new List<(string Id, string Answer)>();
        Func<string, string, Task<bool>> answer = (id, a) => { answers.Add((id, a)); return Task.FromResult(true); };
        var withChoices = Render<QuestionPrompt>(p => p.Add(x => x.Question, Question("q_1", "Which greeting?", ["Hello", "Welcome"])).Add(x => x.OnAnswer, answer));

        Assert.Equal("Which greeting?", withChoices.Find("[data-testid=question-text]").TextContent);
        Assert.Equal(["Hello", "Welcome"], withChoices.FindAll("[data-testid=question-choice]").Select(b => b.TextContent));
        withChoices.FindAll("[data-testid=question-choice]")[1].Click();

        var free = Render<QuestionPrompt>(p => p.Add(x => x.Question, Question("q_2", "What name?", null)).Add(x => x.OnAnswer, answer).Add(x => x.More, 1));
        Assert.Empty(free.FindAll("[data-testid=question-choice]"));
        Assert.True(free.Find("[data-testid=question-send]").HasAttribute("disabled"));
        free.Find("[data-testid=question-answer]").Input(" Northwind ");
        free.Find("form").Submit();

        Assert.Equal([("q_1", "Welcome"), ("q_2", "Northwind")], answers);
        Assert.Contains("1 more question waits", free.Markup);
    }

    [Fact]
    public void The_files_tab_lists_edits_newest_first_and_shows_the_chosen_diff_side_by_side()
    {
        FileEdit[] edits =
        [
            new(3, "src/App.tsx", false, false, "agent", Diff, false, null, DateTimeOffset.UnixEpoch),
            new(5, "public/logo.png", false, true, "api", null, false, "binary", DateTimeOffset.UnixEpoch),
        ];
        var files = Render<FileEdits>(p => p.Add(x => x.Edits, edits));

        Assert.Equal(["public/logo.png", "src/App.tsx"], files.FindAll("[data-testid=file-edit]").Select(b => b.GetAttribute("data-path")));
        Assert.Contains("binary", files.Find("[data-testid=diff-omitted]").TextContent);
        files.FindAll("[data-testid=file-edit]")[1].Click();

        var changed = files.Find("[data-testid=file-diff] [data-kind=changed]");
        Assert.Equal("<h1>Hello</h1>", changed.QuerySelector("[data-testid=diff-old]")!.TextContent);
        Assert.Equal("<h1>Welcome</h1>", changed.QuerySelector("[data-testid=diff-new]")!.TextContent);
    }

    [Fact]
    public void The_event_fold_skips_what_it_saw_leaves_out_dev_server_output_and_says_when_the_state_must_be_read_again()
    {
        var log = new SessionEventLog(limit: 10);

        Assert.True(log.Add([
            Event(1, EventTypes.SessionStarted, new { turn_id = "at_1", details = new { session_id = "as_1", agent = "anthropic", instruction = "greet" } }),
            Event(2, EventTypes.DevServerLog, new { lines = new[] { "hmr update" } }),
            Event(21, EventTypes.GrantCreated, new { grant_id = "g1" }),
            Event(22, EventTypes.FileChanged, new { path = "src/App.tsx", source = "agent", diff = Diff, diff_truncated = false }),
        ]));
        Assert.False(log.Add([Event(22, EventTypes.FileChanged, new { path = "src/App.tsx" }), Event(24, EventTypes.AgentText, new { turn_id = "at_1", details = new { text = "Done." } })]));
        Assert.True(log.Add([Event(25, EventTypes.Question, new { question_id = "q_1", question = "Which?", choices = new[] { "A", "B" } })]));

        Assert.Equal([EventTypes.SessionStarted, EventTypes.FileChanged, EventTypes.AgentText, EventTypes.Question], log.Items.Select(i => i.Type));
        var edit = Assert.Single(log.Edits);
        Assert.Equal(("src/App.tsx", "agent", Diff), (edit.Path, edit.Source, edit.Diff));
        Assert.Equal(25, log.Cursor);
    }

    [Fact]
    public void Agent_session_events_are_said_in_words()
    {
        Assert.Equal(("Session started", "anthropic: greet", ActivityKind.Agent),
            Said(EventTypes.SessionStarted, new { turn_id = "t", details = new { agent = "anthropic", instruction = "greet" } }, i => (i.Title, i.Detail, i.Kind)));
        Assert.Equal(("Agent", "I'll change the heading."),
            Said(EventTypes.AgentText, new { turn_id = "t", details = new { text = "I'll change the heading." } }, i => (i.Title, i.Body)));
        Assert.Equal(("The agent failed", "danger"),
            Said(EventTypes.AgentText, new { turn_id = "t", details = new { error = "boom" } }, i => (i.Title, i.Tone)));
        Assert.Equal(("Wrote src/App.tsx (1 KB)", "success"),
            Said(EventTypes.AgentToolCompleted, new { turn_id = "t", details = new { tool = "write_file", succeeded = true, summary = "Wrote src/App.tsx (1 KB)" } }, i => (i.Title, i.Tone)));
        Assert.Equal(("The agent asks", "Choices: Hello · Welcome", "Which greeting?"),
            Said(EventTypes.Question, new { question_id = "q", question = "Which greeting?", choices = new[] { "Hello", "Welcome" } }, i => (i.Title, i.Detail, i.Body)));
        Assert.Equal(("Command exited", "exited, exit code 2", "danger"),
            Said(EventTypes.CommandExited, new { command_id = "c", exit_code = 2, status = "exited" }, i => (i.Title, i.Detail, i.Tone)));
        Assert.Equal(("Interrupted", "Interrupted by the user."),
            Said(EventTypes.Interrupted, new { turn_id = "t", details = new { status = "interrupted", reason = "Interrupted by the user." } }, i => (i.Title, i.Detail)));
    }

    private static T Said<T>(string type, object payload, Func<ActivityItem, T> pick) => pick(ActivityItem.From(Event(1, type, payload)));

    private static QuestionView Question(string id, string text, IReadOnlyList<string>? choices) =>
        new(id, "sb1", "as_1", text, choices, "pending", null, null, DateTimeOffset.UnixEpoch, null, DateTimeOffset.UnixEpoch.AddHours(1));

    private static LivePreviewEvent Event(long sequence, string type, object payload) =>
        new(sequence, type, "session", "as_1", "sb1", DateTimeOffset.UnixEpoch, JsonSerializer.SerializeToElement(payload));
}
