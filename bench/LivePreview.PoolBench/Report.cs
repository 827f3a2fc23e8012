using System.Text;

namespace LivePreview.PoolBench;

internal sealed record Row(string Measure, string P50, string P95, string Target, string Met, string Notes);

/// <summary>The one table the bench prints, and the facts above it.</summary>
internal sealed class Report
{
    private readonly List<Row> _rows = [];
    private readonly List<string> _facts = [];

    public void Add(Row row)
    {
        _rows.Add(row);
        Console.WriteLine($"  → {row.Measure}: {row.P50} / {row.P95}{(row.Met is "yes" or "no" ? $" (target {row.Target}: {row.Met})" : "")}");
    }

    public void Fact(string fact) => _facts.Add(fact);

    public static string Met(bool met) => met ? "yes" : "no";

    public string Render(string title)
    {
        var text = new StringBuilder().AppendLine($"# {title}").AppendLine();
        foreach (var fact in _facts)
        {
            text.AppendLine($"- {fact}");
        }
        text.AppendLine().AppendLine("| measure | p50 / value | p95 | target | met | notes |").AppendLine("|---|---:|---:|---|---|---|");
        foreach (var r in _rows)
        {
            text.AppendLine($"| {Cell(r.Measure)} | {Cell(r.P50)} | {Cell(r.P95)} | {Cell(r.Target)} | {Cell(r.Met)} | {Cell(r.Notes)} |");
        }
        return text.ToString();
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace('\n', ' ');
}
