using System.Globalization;
using System.Text;
using LivePreview.Tests.Support;

namespace LivePreview.CorpusBench;

/// <summary>The one table the bench prints: per app, medians of cold and warm time to preview, and the availability over all attempts.</summary>
internal static class CorpusReport
{
    public static string Render(string title, IReadOnlyList<string> facts, IReadOnlyList<CorpusApp> apps, IReadOnlyList<Attempt> attempts)
    {
        var text = new StringBuilder().AppendLine($"# {title}").AppendLine();
        foreach (var fact in facts)
        {
            text.AppendLine($"- {fact}");
        }
        text.AppendLine()
            .AppendLine("| app | package manager | cold: POST → ready | cold: POST → first 200 | install (cold) | warm: POST → ready | warm: POST → first 200 | cold / warm | layer reused (warm) | ready / attempts |")
            .AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---|---:|");
        foreach (var app in apps)
        {
            var mine = attempts.Where(a => a.App == app).ToList();
            var cold = mine.Where(a => !a.Warm && a.Ok).ToList();
            var warm = mine.Where(a => a.Warm && a.Ok).ToList();
            var coldPage = Stats.P50([.. cold.Select(a => a.FirstPageMs)]);
            var warmPage = Stats.P50([.. warm.Select(a => a.FirstPageMs)]);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {app.Name} | {app.PackageManager} | {Stats.Ms(Stats.P50([.. cold.Select(a => a.ReadyMs)]))} | {Stats.Ms(coldPage)} | {Stats.Ms(Stats.P50([.. cold.Select(a => (double)a.InstallMs)]))} "
                + $"| {Stats.Ms(Stats.P50([.. warm.Select(a => a.ReadyMs)]))} | {Stats.Ms(warmPage)} | {(coldPage / warmPage).ToString("0.0", CultureInfo.InvariantCulture)}× "
                + $"| {warm.Count(a => a.Reused)}/{warm.Count} | {mine.Count(a => a.Ok)}/{mine.Count} |");
        }
        var ok = attempts.Count(a => a.Ok);
        var availability = attempts.Count == 0 ? double.NaN : 100.0 * ok / attempts.Count;
        text.AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"**Availability: {ok} ready previews / {attempts.Count} attempts = {availability:0.0}%** (goal ≥ 99%: {(availability >= 99 ? "met" : "NOT met")}). Times are medians over the rounds.");
        foreach (var failure in attempts.Where(a => !a.Ok))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- failed: {failure.App.Name} {(failure.Warm ? "warm" : "cold")}: {failure.Error?.ReplaceLineEndings(" ")}");
        }
        return text.ToString();
    }
}
