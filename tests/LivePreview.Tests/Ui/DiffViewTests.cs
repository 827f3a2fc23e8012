using Bunit;
using DiffPlex.Renderer;
using LivePreview.Ui.Shared;

namespace LivePreview.Tests.Ui;

/// <summary>The side-by-side view of diffs as DiffPlex makes them for FILE_CHANGED (the same renderer, three lines of context).</summary>
public sealed class DiffViewTests : BunitContext
{
    private static string Unified(string? before, string? after, string path = "src/App.tsx") =>
        UnidiffRenderer.GenerateUnidiff(before ?? "", after ?? "", before is null ? "/dev/null" : $"a/{path}", after is null ? "/dev/null" : $"b/{path}",
            ignoreWhitespace: false, ignoreCase: false, contextLines: 3);

    private static string Numbered(int from, int to, Func<int, string>? text = null) =>
        string.Concat(Enumerable.Range(from, to - from + 1).Select(i => (text ?? (n => $"line {n}"))(i) + "\n"));

    private IReadOnlyList<(string? Kind, string Old, string OldText, string New, string NewText)> Rows(string diff)
    {
        var view = Render<DiffView>(p => p.Add(x => x.Diff, diff));
        return view.FindAll("[data-testid=diff-row]").Where(r => r.GetAttribute("data-kind") != "gap").Select(r => (
            r.GetAttribute("data-kind"),
            r.QuerySelector("[data-testid=diff-old-number]")!.TextContent, r.QuerySelector("[data-testid=diff-old]")!.TextContent,
            r.QuerySelector("[data-testid=diff-new-number]")!.TextContent, r.QuerySelector("[data-testid=diff-new]")!.TextContent)).ToList();
    }

    // Inputs end without a line break: DiffPlex counts the empty string after a final one as a line of its own.
    [Fact]
    public void A_changed_line_sits_beside_its_replacement_with_both_line_numbers_and_context_around_it()
    {
        var rows = Rows(Unified("a\nb\nc\nd", "a\nB\nc\nd"));

        Assert.Equal(
            [("context", "1", "a", "1", "a"), ("changed", "2", "b", "2", "B"), ("context", "3", "c", "3", "c"), ("context", "4", "d", "4", "d")],
            rows);
    }

    [Fact]
    public void Removed_and_added_lines_leave_the_other_side_empty_and_the_numbers_follow_each_file()
    {
        var rows = Rows(Unified("one\ntwo\nthree\nfour", "one\nthree\nthree and a half\nfour"));

        Assert.Equal(
            [("context", "1", "one", "1", "one"), ("removed", "2", "two", "", ""), ("context", "3", "three", "2", "three"),
             ("added", "", "", "3", "three and a half"), ("context", "4", "four", "4", "four")],
            rows);
        var view = Render<DiffView>(p => p.Add(x => x.Diff, Unified("one\ntwo\n", "one\n")));
        Assert.Contains("del", view.Find("[data-kind=removed] [data-testid=diff-old]").ClassList);
        Assert.Contains("empty", view.Find("[data-kind=removed] [data-testid=diff-new]").ClassList);
    }

    [Fact]
    public void A_run_of_removed_lines_pairs_with_the_added_lines_after_it_and_the_longer_side_keeps_the_rest()
    {
        var rows = Rows(Unified("x\nold 1\nold 2\nold 3\ny", "x\nnew 1\nnew 2\ny"));

        Assert.Equal(
            [("context", "1", "x", "1", "x"), ("changed", "2", "old 1", "2", "new 1"), ("changed", "3", "old 2", "3", "new 2"),
             ("removed", "4", "old 3", "", ""), ("context", "5", "y", "4", "y")],
            rows);
    }

    [Fact]
    public void Lines_between_hunks_are_a_gap_and_the_second_hunk_numbers_from_its_header()
    {
        var before = Numbered(1, 30);
        var after = Numbered(1, 30, n => n is 2 or 25 ? $"line {n} edited" : $"line {n}");

        var view = Render<DiffView>(p => p.Add(x => x.Diff, Unified(before, after)));

        var kinds = view.FindAll("[data-testid=diff-row]").Select(r => r.GetAttribute("data-kind")).ToList();
        Assert.Equal(1, kinds.Count(k => k == "gap"));
        Assert.Equal(2, kinds.Count(k => k == "changed"));
        var second = view.FindAll("[data-kind=changed]")[1];
        Assert.Equal(("25", "line 25", "25", "line 25 edited"),
            (second.QuerySelector("[data-testid=diff-old-number]")!.TextContent, second.QuerySelector("[data-testid=diff-old]")!.TextContent,
             second.QuerySelector("[data-testid=diff-new-number]")!.TextContent, second.QuerySelector("[data-testid=diff-new]")!.TextContent));
        Assert.Equal("gap", kinds[kinds.IndexOf("changed", 0) + 4]);
    }

    [Fact]
    public void A_new_file_is_all_added_from_line_one_and_a_deleted_file_all_removed()
    {
        var created = Rows(Unified(null, "hello\nworld", "src/New.tsx"));
        Assert.Equal([("added", "", "", "1", "hello"), ("added", "", "", "2", "world")], created);
        var view = Render<DiffView>(p => p.Add(x => x.Diff, Unified(null, "hello\n", "src/New.tsx")));
        Assert.Equal("(new file)", view.Find("[data-testid=diff-old-title]").TextContent);
        Assert.Empty(view.FindAll("[data-kind=gap]"));

        var deleted = Rows(Unified("bye", null, "src/Old.tsx"));
        Assert.Equal([("removed", "1", "bye", "", "")], deleted);
    }

    [Fact]
    public void Markup_in_the_file_is_shown_as_text_and_truncated_or_omitted_diffs_say_so()
    {
        var view = Render<DiffView>(p => p.Add(x => x.Diff, Unified("<h1>Hi</h1>\n", "<script>alert(1)</script>\n")).Add(x => x.Truncated, true));
        Assert.Equal("<script>alert(1)</script>", view.Find("[data-kind=changed] [data-testid=diff-new]").TextContent);
        Assert.Empty(view.FindAll("script"));
        Assert.Contains("cut", view.Find("[data-testid=diff-truncated]").TextContent);

        var binary = Render<DiffView>(p => p.Add(x => x.Diff, null).Add(x => x.Omitted, "binary"));
        Assert.Contains("binary", binary.Find("[data-testid=diff-omitted]").TextContent);
        Assert.Empty(binary.FindAll("[data-testid=diff-row]"));
    }
}
