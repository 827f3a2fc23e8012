using System.Text;

namespace LivePreview.Bench;

/// <summary>One line of the results table.</summary>
internal sealed record Row(string Measure, string P50, string P95, string Target, string Met, string Notes);

/// <summary>The one table the bench prints, and the machine facts above it.</summary>
internal sealed class Report
{
    private readonly List<Row> _rows = [];
    private readonly List<string> _facts = [];
    private readonly List<string> _appendices = [];

    public IReadOnlyList<Row> Rows => _rows;

    public void Add(Row row)
    {
        _rows.Add(row);
        Console.WriteLine($"  → {row.Measure}: p50 {row.P50}, p95 {row.P95}{(row.Met is "yes" or "no" ? $" (target {row.Target}: {row.Met})" : "")}");
    }

    public void Fact(string fact) => _facts.Add(fact);

    public void FactOnce(string fact)
    {
        if (!_facts.Contains(fact))
        {
            _facts.Add(fact);
        }
    }

    public static string Met(bool met) => met ? "yes" : "no";

    /// <summary>More markdown after the table (a part's per-sample table).</summary>
    public void Appendix(string markdown) => _appendices.Add(markdown);

    public string Render(string title)
    {
        var text = new StringBuilder();
        text.AppendLine($"# {title}").AppendLine();
        foreach (var fact in _facts)
        {
            text.AppendLine($"- {fact}");
        }
        text.AppendLine();
        text.AppendLine("| measure | p50 | p95 | target | met | notes |");
        text.AppendLine("|---|---:|---:|---|---|---|");
        foreach (var r in _rows)
        {
            text.AppendLine($"| {Cell(r.Measure)} | {Cell(r.P50)} | {Cell(r.P95)} | {Cell(r.Target)} | {Cell(r.Met)} | {Cell(r.Notes)} |");
        }
        foreach (var appendix in _appendices)
        {
            text.AppendLine().Append(appendix);
        }
        return text.ToString();
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace('\n', ' ');
}
