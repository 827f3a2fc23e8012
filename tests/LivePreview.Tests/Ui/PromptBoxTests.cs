using Bunit;
using LivePreview.Ui.Prototype;

namespace LivePreview.Tests.Ui;

public sealed class PromptBoxTests : BunitContext
{
    private readonly List<string> _sent = [];

    public PromptBoxTests()
    {
        var module = JSInterop.SetupModule("./Ui/Prototype/PromptBox.razor.js");
        module.SetupVoid("sendOnEnter", _ => true);
    }

    [Fact]
    public void Submitting_sends_the_trimmed_prompt_and_clears_the_box_once_it_is_accepted()
    {
        var box = Render<PromptBox>(p => p.Add(x => x.OnSend, Accept));

        box.Find("[data-testid=prototype-prompt]").Input("  add a navbar  ");
        box.Find("form").Submit();

        Assert.Equal(["add a navbar"], _sent);
        Assert.Equal("", box.Find("[data-testid=prototype-prompt]").GetAttribute("value"));
        Assert.True(box.Find("[data-testid=prototype-send]").HasAttribute("disabled"));
    }

    [Fact]
    public void Enter_is_wired_to_send_in_the_page()
    {
        Render<PromptBox>(p => p.Add(x => x.OnSend, Accept));

        Assert.Single(JSInterop.Invocations, i => i.Identifier == "sendOnEnter");
    }

    [Fact]
    public void A_refused_prompt_stays_in_the_box_and_the_reason_is_shown_above_it()
    {
        var box = Render<PromptBox>(p => p.Add(x => x.OnSend, _ => Task.FromResult(false)));
        box.Find("[data-testid=prototype-prompt]").Input("again");
        box.Find("form").Submit();

        box.Render(p => p.Add(x => x.Problem, new UiProblem(409, "The agent is still working", "Wait for the current prompt to finish, or interrupt it.")));

        Assert.Equal("again", box.Find("[data-testid=prototype-prompt]").GetAttribute("value"));
        var problem = box.Find("[data-testid=prototype-prompt-problem]");
        Assert.Equal("409", problem.GetAttribute("data-status"));
        Assert.Contains("The agent is still working.", problem.TextContent);
    }

    [Fact]
    public void While_disabled_nothing_is_sent_and_the_hint_says_why()
    {
        var box = Render<PromptBox>(p => p.Add(x => x.OnSend, Accept).Add(x => x.Disabled, true).Add(x => x.DisabledHint, "The agent is working…"));

        box.Find("form").Submit();

        Assert.Empty(_sent);
        Assert.True(box.Find("[data-testid=prototype-prompt]").HasAttribute("disabled"));
        Assert.True(box.Find("[data-testid=prototype-send]").HasAttribute("disabled"));
        Assert.Contains("The agent is working…", box.Markup);
    }

    [Fact]
    public void A_suggestion_fills_the_box()
    {
        var box = Render<PromptBox>(p => p.Add(x => x.OnSend, Accept).Add(x => x.Suggestions, ["add a navbar with dark mode toggle"]));

        box.Find("[data-testid=prototype-suggestion]").Click();

        Assert.Equal("add a navbar with dark mode toggle", box.Find("[data-testid=prototype-prompt]").GetAttribute("value"));
    }

    private Task<bool> Accept(string prompt)
    {
        _sent.Add(prompt);
        return Task.FromResult(true);
    }
}
