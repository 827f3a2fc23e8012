using System.Globalization;
using System.Text;

namespace LivePreview.EventsBench;

/// <summary>What one configuration measured.</summary>
internal sealed record EventsResult(BenchConfiguration Configuration, TimeSpan Published, TimeSpan Delivered, StreamClient[] Filtered, StreamClient Unfiltered);

internal static class EventsReport
{
    public static string Format(EventsBenchOptions options, IReadOnlyList<EventsResult> results)
    {
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
        var text = new StringBuilder()
            .AppendLine("## Live event stream (WebSocket fan-out)")
            .AppendLine()
            .AppendLine(Invariant($"{options.Clients} clients each filtered to its own sandbox + 1 unfiltered; {options.Events:N0} events per configuration published round-robin over the sandboxes by {options.Publishers} concurrent publishers through IEventBus (stored in the database — one SQLite file, or one PostgreSQL database on 127.0.0.1 — then delivered; with two instances clients and publishers alternate over them, so half of each client's events cross instances through Redis). Latency: the publisher's Stopwatch timestamp in the payload, taken before PublishAsync, to the client's receive; same process, same clock. {Environment.ProcessorCount} cores, load average {load} at the end, {DateTime.UtcNow:yyyy-MM-dd}."))
            .AppendLine()
            .AppendLine("| configuration | write batch | events/s | vs first row | filtered clients p50 / p99 / max | unfiltered p50 / p99 | deliveries | closed as too slow |")
            .AppendLine("|---|---|---|---|---|---|---|---|");
        var baseline = results.Count > 0 ? options.Events / results[0].Published.TotalSeconds : 0;
        foreach (var r in results)
        {
            var filtered = r.Filtered.SelectMany(c => c.LatenciesMs).Order().ToArray();
            var unfiltered = r.Unfiltered.LatenciesMs.Order().ToArray();
            var rate = options.Events / r.Published.TotalSeconds;
            var closed = r.Filtered.Append(r.Unfiltered).Count(c => c.CloseStatus is not null);
            text.AppendLine(Invariant($"| {r.Configuration.Name} | {r.Configuration.WriteBatchSize} | **{rate:N0}** | {rate / baseline:F2}× | {P(filtered, 0.5)} / **{P(filtered, 0.99)}** / {P(filtered, 1)} ms | {P(unfiltered, 0.5)} / {P(unfiltered, 0.99)} ms | {filtered.Length + unfiltered.Length:N0} of {2 * options.Events:N0} | {closed} |"));
        }
        return text.ToString();
    }

    private static string P(double[] sorted, double p) => sorted.Length == 0
        ? "–"
        : sorted[Math.Min(sorted.Length - 1, Math.Max(0, (int)Math.Ceiling(p * sorted.Length) - 1))].ToString("F2", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
