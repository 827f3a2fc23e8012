using System.Text;

namespace LivePreview.PaintBench;

/// <summary>The markdown: a summary row per variant and path, then each variant's resources (median over every start).</summary>
internal static class PaintTables
{
    private const double ApiGoalMs = 250;
    private const double PrototypeGoalMs = 300;

    public static string Render(string title, IEnumerable<string> facts, IReadOnlyList<(Variant Variant, List<PaintSample> Samples)> results)
    {
        var md = new StringBuilder();
        md.AppendLine($"# {title}").AppendLine();
        foreach (var fact in facts)
        {
            md.AppendLine($"- {fact}");
        }
        foreach (var (variant, _) in results)
        {
            md.AppendLine($"- `{variant.Name}`: {variant.Description}");
        }
        md.AppendLine().AppendLine("| variant | path | painted p50 | painted p90 | goal | first byte p50 | preview navigation starts p50 | last resource done p50 | requests | bytes |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var (variant, samples) in results)
        {
            foreach (var path in new[] { PaintPath.Api, PaintPath.Prototype })
            {
                var of = samples.Where(s => s.Path == path).ToList();
                if (of.Count == 0)
                {
                    continue;
                }
                var painted = of.Select(s => s.PaintedMs).ToList();
                var goal = path == PaintPath.Api ? ApiGoalMs : PrototypeGoalMs;
                md.AppendLine($"| {variant.Name} | {Name(path)} | {Stats.Ms(Stats.P50(painted))} | {Stats.Ms(Stats.Percentile(painted, 0.9))} | ≤ {goal:0} ms: {(Stats.P50(painted) <= goal ? "met" : "no")} " +
                    $"| {Stats.Ms(Stats.P50(of.Select(s => s.FirstByteMs).ToList()))} | {Stats.Ms(Stats.P50(of.Select(s => s.FrameNavMs).ToList()))} " +
                    $"| {Stats.Ms(Stats.P50(of.Select(s => s.LastResourceMs).ToList()))} | {Stats.Number(Stats.P50(of.Select(s => (double)s.Requests).ToList()))}" +
                    $"{(of.Any(s => s.RedirectMs > 0) ? " (1 redirect)" : "")} | {Stats.Bytes((long)Stats.P50(of.Select(s => (double)s.Bytes).ToList()))} |");
            }
        }
        foreach (var (variant, samples) in results)
        {
            AppendResources(md, variant, samples);
        }
        return md.ToString();
    }

    /// <summary>
    /// Per resource (both paths): waiting for a connection (fetch start → request start), time to first byte split into the
    /// proxy's own part, the dev server's (upstream, from Server-Timing) and the rest (wire), and the whole fetch.
    /// </summary>
    private static void AppendResources(StringBuilder md, Variant variant, List<PaintSample> samples)
    {
        md.AppendLine().AppendLine($"Resources of `{variant.Name}` (p50 over {samples.Count} starts; times in ms; document = the preview page itself):").AppendLine();
        md.AppendLine("| resource | n | starts at | queued | proxy | inject | dev server | wire | fetch total | bytes |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        var groups = samples.SelectMany(s => s.Resources.Select(r => (Key: r.Path, R: r))).GroupBy(x => x.Key, x => x.R)
            .OrderBy(g => Stats.P50(g.Select(r => r.Start).ToList()));
        foreach (var g in groups)
        {
            var list = g.ToList();
            double P(Func<ResourceTiming, double> f) => Stats.P50(list.Select(f).ToList());
            md.AppendLine($"| `{Short(g.Key)}` | {list.Count} | {F(P(r => r.Start))} | {F(P(r => r.RequestStart - r.Start))} | {F(P(r => r.Server.GetValueOrDefault("lp-proxy")))} " +
                $"| {F(P(r => r.Server.GetValueOrDefault("lp-inject")))} | {F(P(r => r.Server.GetValueOrDefault("lp-upstream")))} | {F(P(r => r.WireMs))} " +
                $"| {F(P(r => r.ResponseEnd - r.Start))} | {Stats.Bytes((long)P(r => r.Transfer))} |");
        }
    }

    private static string Name(PaintPath path) => path == PaintPath.Api ? "(a) API call → painted" : "(b) click Start → painted in the iframe";

    private static string F(double ms) => Stats.Number(ms, "0.0");

    private static string Short(string path) => path.Length <= 60 ? path : "…" + path[^59..];
}
