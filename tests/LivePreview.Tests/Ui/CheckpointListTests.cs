using Bunit;
using LivePreview.Prototypes;
using LivePreview.Ui.Prototype;

namespace LivePreview.Tests.Ui;

public sealed class CheckpointListTests : BunitContext
{
    private static readonly DateTimeOffset At = new(2026, 11, 25, 17, 0, 0, TimeSpan.Zero);

    private static readonly IReadOnlyList<CheckpointView> Checkpoints =
    [
        new("cpstart", "4d03b6a0c0ffee", "initial", "Start from the react-vite template", ["A src/App.tsx", "A src/main.tsx"], null, At),
        new("cpnavbar", "bae88f10c0ffee", "prompt", "add a navbar with dark mode toggle", ["A src/components/Navbar.tsx"], "tn1", At.AddMinutes(1)),
    ];

    [Fact]
    public void Checkpoints_are_listed_newest_first_and_the_current_one_cannot_be_restored()
    {
        var list = Render<CheckpointList>(p => p.Add(x => x.Checkpoints, Checkpoints));

        var items = list.FindAll("[data-testid=checkpoint]");
        Assert.Equal(["cpnavbar", "cpstart"], items.Select(i => i.GetAttribute("data-checkpoint-id")));
        Assert.NotNull(items[0].QuerySelector("[data-testid=checkpoint-current]"));
        Assert.Null(items[0].QuerySelector("[data-testid=checkpoint-restore]"));
        Assert.Contains("bae88f1", items[0].TextContent);
        Assert.Contains("1 file", items[0].TextContent);
    }

    [Fact]
    public void Restore_raises_OnRestore_with_the_checkpoint_and_is_disabled_while_the_agent_works()
    {
        var restored = new List<string>();
        var list = Render<CheckpointList>(p => p.Add(x => x.Checkpoints, Checkpoints).Add(x => x.OnRestore, id => restored.Add(id)));

        list.Find("[data-testid=checkpoint-restore]").Click();
        list.Render(p => p.Add(x => x.Disabled, true));

        Assert.Equal(["cpstart"], restored);
        Assert.True(list.Find("[data-testid=checkpoint-restore]").HasAttribute("disabled"));
    }

    [Fact]
    public void A_restore_is_named_by_the_checkpoint_it_went_back_to()
    {
        IReadOnlyList<CheckpointView> checkpoints =
            [.. Checkpoints, new("cpback", "c01a2d50c0ffee", "restore", "Restore checkpoint cpstart: Start from the react-vite template", [], null, At.AddMinutes(2))];
        var list = Render<CheckpointList>(p => p.Add(x => x.Checkpoints, checkpoints));

        Assert.Equal("Back to “Start from the react-vite template”", list.Find("[data-checkpoint-id=cpback] .message").TextContent);
    }

    [Fact]
    public void A_refused_restore_is_said_above_the_list()
    {
        var list = Render<CheckpointList>(p => p.Add(x => x.Checkpoints, Checkpoints)
            .Add(x => x.Problem, new UiProblem(409, "The agent is still working", "Wait for the current prompt to finish.")));

        Assert.Contains("The agent is still working.", list.Find("[data-testid=checkpoint-problem]").TextContent);
    }

    [Fact]
    public void Checkpoints_with_a_screenshot_show_its_thumbnail_and_a_click_shows_it_larger_until_closed()
    {
        const string shot = "/api/v1/prototype/session/psone/checkpoints/cpnavbar/screenshot";
        IReadOnlyList<CheckpointView> checkpoints = [Checkpoints[0], Checkpoints[1] with { ScreenshotUrl = shot }];
        var list = Render<CheckpointList>(p => p.Add(x => x.Checkpoints, checkpoints));

        var thumbnails = list.FindAll("[data-testid=checkpoint-thumbnail]");
        Assert.Single(thumbnails);
        Assert.Equal(shot, thumbnails[0].QuerySelector("img")!.GetAttribute("src"));
        Assert.Contains("add a navbar with dark mode toggle", thumbnails[0].QuerySelector("img")!.GetAttribute("alt"));
        Assert.NotNull(list.Find("[data-checkpoint-id=cpstart] .thumb-none"));
        Assert.Empty(list.FindAll("[data-testid=checkpoint-screenshot]"));

        thumbnails[0].Click();
        Assert.Equal(shot, list.Find("[data-testid=checkpoint-screenshot] img").GetAttribute("src"));

        list.Find("[data-testid=checkpoint-screenshot-close]").Click();
        Assert.Empty(list.FindAll("[data-testid=checkpoint-screenshot]"));
    }

    [Fact]
    public void A_checkpoints_changes_open_under_it_side_by_side_and_the_start_has_none_to_show()
    {
        string? asked = "none";
        var list = Render<CheckpointList>(p => p.Add(x => x.Checkpoints, Checkpoints).Add(x => x.OnShowChanges, id => asked = id));

        Assert.Single(list.FindAll("[data-testid=checkpoint-changes-toggle]"));
        list.Find("[data-testid=checkpoint-changes-toggle]").Click();
        Assert.Equal("cpnavbar", asked);

        list.Render(p => p.Add(x => x.ChangesOf, "cpnavbar").Add(x => x.Changes, (IReadOnlyList<CheckpointFileDiff>?)
            [new CheckpointFileDiff("src/components/Navbar.tsx", "A", "--- /dev/null\n+++ b/src/components/Navbar.tsx\n@@ -0,0 +1,1 @@\n+export const Navbar = () => <nav />\n", false, null)]));

        var changes = list.Find("[data-testid=checkpoint-changes]");
        Assert.Equal("src/components/Navbar.tsx", changes.QuerySelector("[data-testid=checkpoint-changed-file]")!.GetAttribute("data-path"));
        Assert.Contains("export const Navbar", changes.TextContent);
        Assert.Contains("Added", changes.TextContent);
        list.Find("[data-testid=checkpoint-changes-toggle]").Click();
        Assert.Null(asked);
    }
}
