using System.Globalization;
using System.Text.RegularExpressions;

namespace LivePreview.Ui.Shared;

/// <summary>What one row of a side-by-side diff shows.</summary>
internal enum DiffRowKind
{
    /// <summary>The same line on both sides.</summary>
    Context,

    /// <summary>Only on the old side.</summary>
    Removed,

    /// <summary>Only on the new side.</summary>
    Added,

    /// <summary>An old line and the new line that took its place.</summary>
    Changed,

    /// <summary>Lines the diff leaves out between two hunks (or before the first).</summary>
    Gap,
}

/// <param name="OldNumber">The line's number in the old file, null where the old side is empty.</param>
/// <param name="NewNumber">The line's number in the new file, null where the new side is empty.</param>
internal sealed record DiffRow(DiffRowKind Kind, int? OldNumber, string? OldText, int? NewNumber, string? NewText);

/// <summary>
/// A unified diff (DiffPlex's, as FILE_CHANGED carries it) laid out in two columns: it only reads the hunks, it
/// does not diff. Within a hunk a run of removed lines followed by added lines is paired row by row as changed
/// lines; the rest of the longer side stays removed or added.
/// </summary>
internal sealed partial class SideBySideDiff
{
    private SideBySideDiff(string? oldPath, string? newPath, IReadOnlyList<DiffRow> rows)
    {
        (OldPath, NewPath, Rows) = (oldPath, newPath, rows);
    }

    /// <summary>The old file's path (without "a/"), or null when the file is new.</summary>
    public string? OldPath { get; }

    /// <summary>The new file's path (without "b/"), or null when the file was deleted.</summary>
    public string? NewPath { get; }

    public IReadOnlyList<DiffRow> Rows { get; }

    public int Added => Rows.Count(r => r.Kind is DiffRowKind.Added or DiffRowKind.Changed);

    public int Removed => Rows.Count(r => r.Kind is DiffRowKind.Removed or DiffRowKind.Changed);

    public static SideBySideDiff Parse(string? unified)
    {
        string? oldPath = null, newPath = null;
        var rows = new List<DiffRow>();
        var pending = new Run();
        int oldLine = 0, newLine = 0, nextOld = 1;
        var inHunk = false;
        foreach (var line in Lines(unified ?? ""))
        {
            if (!inHunk && line.StartsWith("--- ", StringComparison.Ordinal))
            {
                oldPath = PathOf(line[4..], "a/");
                continue;
            }
            if (!inHunk && line.StartsWith("+++ ", StringComparison.Ordinal))
            {
                newPath = PathOf(line[4..], "b/");
                continue;
            }
            if (HunkHeader().Match(line) is { Success: true } header)
            {
                pending.FlushTo(rows);
                // "-0,0" / "+0,0": nothing on that side (a new or a deleted file); its lines would start at 1.
                (oldLine, newLine) = (Math.Max(Number(header.Groups["old"]), 1), Math.Max(Number(header.Groups["new"]), 1));
                if (oldLine > nextOld)
                {
                    rows.Add(new DiffRow(DiffRowKind.Gap, null, null, null, null));
                }
                inHunk = true;
                continue;
            }
            if (!inHunk)
            {
                continue;
            }
            var body = line.Length > 0 ? line[1..] : "";
            switch (line.Length > 0 ? line[0] : ' ')
            {
                case '-':
                    pending.Removed.Add((oldLine++, body));
                    break;
                case '+':
                    pending.Added.Add((newLine++, body));
                    break;
                case '\\':
                    // "\ No newline at end of file": about the line before it, not a line itself.
                    break;
                default:
                    pending.FlushTo(rows);
                    rows.Add(new DiffRow(DiffRowKind.Context, oldLine++, body, newLine++, body));
                    break;
            }
            nextOld = oldLine;
        }
        pending.FlushTo(rows);
        return new SideBySideDiff(oldPath, newPath, rows);
    }

    private static IEnumerable<string> Lines(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        // The diff ends with a line break: the empty string after it is not a line.
        return text.EndsWith('\n') ? lines[..^1] : lines;
    }

    private static string? PathOf(string name, string prefix)
    {
        var path = name.Split('\t', 2)[0].Trim();
        return path == "/dev/null" ? null : path.StartsWith(prefix, StringComparison.Ordinal) ? path[prefix.Length..] : path;
    }

    private static int Number(Group group) => int.Parse(group.Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^@@ -(?<old>\d+)(?:,\d+)? \+(?<new>\d+)(?:,\d+)? @@")]
    private static partial Regex HunkHeader();

    /// <summary>Removed lines, then the added lines that follow them, until the next context line or hunk.</summary>
    private sealed class Run
    {
        public List<(int Number, string Text)> Removed { get; } = [];

        public List<(int Number, string Text)> Added { get; } = [];

        public void FlushTo(List<DiffRow> rows)
        {
            for (var i = 0; i < Math.Max(Removed.Count, Added.Count); i++)
            {
                var (hasOld, hasNew) = (i < Removed.Count, i < Added.Count);
                var kind = hasOld && hasNew ? DiffRowKind.Changed : hasOld ? DiffRowKind.Removed : DiffRowKind.Added;
                rows.Add(new DiffRow(kind,
                    hasOld ? Removed[i].Number : null, hasOld ? Removed[i].Text : null,
                    hasNew ? Added[i].Number : null, hasNew ? Added[i].Text : null));
            }
            Removed.Clear();
            Added.Clear();
        }
    }
}
