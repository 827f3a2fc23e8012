using Bunit;
using LivePreview.Ui.Prototype;

namespace LivePreview.Tests.Ui;

public sealed class ConversationTests : BunitContext
{
    private readonly PrototypeEvents _events = new();
    private readonly PrototypeTimeline _timeline = new();

    [Fact]
    public void Without_turns_it_invites_a_prompt()
    {
        var conversation = Render<Conversation>(p => p.Add(x => x.Turns, _timeline.Turns));

        Assert.NotNull(conversation.Find("[data-testid=prototype-conversation-empty]"));
        Assert.Empty(conversation.FindAll("[data-testid=prototype-turn]"));
    }

    [Fact]
    public void A_running_turn_shows_what_the_agent_does_and_Interrupt_raises_OnInterrupt()
    {
        var interrupts = 0;
        Apply(_events.Started("tn1", "add a navbar"), _events.Text("tn1", "Creating the `Navbar` component."),
            _events.ToolCalled("tn1", "write_file", """{"path":"src/components/Navbar.tsx"}"""));
        var conversation = Render<Conversation>(p => p.Add(x => x.Turns, _timeline.Turns).Add(x => x.Agent, "replay").Add(x => x.OnInterrupt, () => interrupts++));

        var turn = conversation.Find("[data-testid=prototype-turn]");
        Assert.Equal("running", turn.GetAttribute("data-state"));
        Assert.Contains("add a navbar", turn.TextContent);
        Assert.Equal("Navbar", conversation.Find("[data-testid=prototype-agent-text] code").TextContent);
        var tool = conversation.Find("[data-testid=prototype-tool]");
        Assert.Equal("src/components/Navbar.tsx", tool.GetAttribute("data-path"));
        Assert.Equal("Writing src/components/Navbar.tsx…", tool.TextContent.Trim());
        Assert.Contains("Working", conversation.Find("[data-testid=prototype-working]").TextContent);

        conversation.Find("[data-testid=prototype-interrupt]").Click();

        Assert.Equal(1, interrupts);
    }

    [Fact]
    public void A_running_turn_whose_agent_waits_on_a_question_says_so_and_can_still_be_interrupted()
    {
        var interrupts = 0;
        Apply(_events.Started("tn1", "pick a colour"), _events.ToolCalled("tn1", "ask_user", """{"question":"Which colour?"}"""));
        var conversation = Render<Conversation>(p => p.Add(x => x.Turns, _timeline.Turns).Add(x => x.WaitingForAnswer, true).Add(x => x.OnInterrupt, () => interrupts++));

        var working = conversation.Find("[data-testid=prototype-working]");
        Assert.Equal("true", working.GetAttribute("data-waiting"));
        Assert.Contains("Waiting for your answer", working.TextContent);
        conversation.Find("[data-testid=prototype-interrupt]").Click();
        Assert.Equal(1, interrupts);

        Apply(_events.Completed("tn1"));
        conversation.Render();
        Assert.Empty(conversation.FindAll("[data-testid=prototype-working]"));
        Assert.NotNull(conversation.Find("[data-testid=prototype-turn-done]"));
    }

    [Fact]
    public void A_finished_turn_shows_each_file_it_touched_and_its_checkpoint_and_no_working_state()
    {
        Apply(_events.Started("tn1", "add a navbar"),
            _events.ToolCalled("tn1", "replace_text", """{"path":"src/App.tsx"}"""),
            _events.ToolCompleted("tn1", "replace_text", "src/App.tsx", "Edited src/App.tsx"),
            _events.Completed("tn1", "cpnavbar"));
        var conversation = Render<Conversation>(p => p.Add(x => x.Turns, _timeline.Turns));

        Assert.Equal("src/App.tsx", conversation.Find("[data-testid=prototype-tool] code.path").TextContent);
        Assert.Equal("Edited src/App.tsx", conversation.Find("[data-testid=prototype-tool]").TextContent.Trim().TrimStart('✓').Trim());
        Assert.Contains("cpnavbar", conversation.Find("[data-testid=prototype-turn-done]").TextContent);
        Assert.Empty(conversation.FindAll("[data-testid=prototype-working]"));
    }

    [Fact]
    public void A_failed_or_interrupted_turn_says_so_with_the_reason()
    {
        Apply(_events.Started("tn1", "one"), _events.Failed("tn1", "failed", "No recording matches this prompt."),
            _events.Started("tn2", "two"), _events.Failed("tn2", "cancelled", "Interrupted."));
        var conversation = Render<Conversation>(p => p.Add(x => x.Turns, _timeline.Turns));

        var errors = conversation.FindAll("[data-testid=prototype-turn-error]");
        Assert.Contains("No recording matches this prompt.", errors[0].TextContent);
        Assert.Equal("Interrupted", errors[1].TextContent.Trim());
    }

    private void Apply(params LivePreview.Events.LivePreviewEvent[] events)
    {
        foreach (var e in events)
        {
            _timeline.Apply(e);
        }
    }
}
