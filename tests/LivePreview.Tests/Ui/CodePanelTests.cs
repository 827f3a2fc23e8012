using Bunit;
using LivePreview.Ui.Prototype;

namespace LivePreview.Tests.Ui;

public sealed class CodePanelTests : BunitContext
{
    private static readonly IReadOnlyList<FileNode> Files =
    [
        new("src", "src", true, 0),
        new("src/components", "components", true, 1),
        new("src/components/Navbar.tsx", "Navbar.tsx", false, 2),
        new("src/App.tsx", "App.tsx", false, 1),
        new("package.json", "package.json", false, 0),
    ];

    [Fact]
    public void The_tree_lists_the_files_and_a_click_raises_OnSelect_with_the_path()
    {
        var selected = new List<string>();
        var panel = Render<CodePanel>(p => p.Add(x => x.Files, Files).Add(x => x.OnSelect, path => selected.Add(path)));

        Assert.Equal(["src/components/Navbar.tsx", "src/App.tsx", "package.json"], panel.FindAll("[data-testid=code-file]").Select(f => f.GetAttribute("data-path")));
        panel.Find("[data-testid=code-file][data-path='src/App.tsx']").Click();

        Assert.Equal(["src/App.tsx"], selected);
    }

    [Fact]
    public void A_collapsed_folder_hides_what_it_holds()
    {
        var panel = Render<CodePanel>(p => p.Add(x => x.Files, Files));

        panel.Find("[data-testid=code-dir][data-path='src/components']").Click();

        Assert.Equal(["src/App.tsx", "package.json"], panel.FindAll("[data-testid=code-file]").Select(f => f.GetAttribute("data-path")));
        Assert.Equal("false", panel.Find("[data-testid=code-dir][data-path='src/components']").GetAttribute("aria-expanded"));
    }

    [Fact]
    public void An_edit_enables_Save_which_raises_OnSave_with_the_edited_text()
    {
        var saved = new List<OpenFile>();
        var panel = Render<CodePanel>(p => p.Add(x => x.Files, Files).Add(x => x.File, new OpenFile("src/App.tsx", "<h1>Hi</h1>", null))
            .Add(x => x.OnSave, f => saved.Add(f)));
        Assert.True(panel.Find("[data-testid=code-save]").HasAttribute("disabled"));

        panel.Find("[data-testid=code-editor]").Input("<h1>Hello</h1>");
        panel.Find("[data-testid=code-save]").Click();

        Assert.Equal([new OpenFile("src/App.tsx", "<h1>Hello</h1>", null)], saved);
        Assert.Contains("Unsaved changes", panel.Find("[data-testid=code-status]").TextContent);
    }

    [Fact]
    public void A_change_from_elsewhere_replaces_an_untouched_file_but_not_an_edit_in_progress()
    {
        var panel = Render<CodePanel>(p => p.Add(x => x.File, new OpenFile("src/App.tsx", "one", null)));

        panel.Render(p => p.Add(x => x.File, new OpenFile("src/App.tsx", "two", null)));
        Assert.Equal("two", panel.Find("[data-testid=code-editor]").GetAttribute("value"));

        panel.Find("[data-testid=code-editor]").Input("mine");
        panel.Render(p => p.Add(x => x.File, new OpenFile("src/App.tsx", "three", null)));

        Assert.Equal("mine", panel.Find("[data-testid=code-editor]").GetAttribute("value"));
        Assert.NotNull(panel.Find("[data-testid=code-changed]"));
    }

    [Fact]
    public void A_file_that_cannot_be_shown_says_why_and_offers_no_editor()
    {
        var panel = Render<CodePanel>(p => p.Add(x => x.File, new OpenFile("public/logo.png", null, "A binary file: not shown here.")));

        Assert.Contains("A binary file", panel.Markup);
        Assert.Empty(panel.FindAll("[data-testid=code-editor]"));
        Assert.True(panel.Find("[data-testid=code-save]").HasAttribute("disabled"));
    }
}
