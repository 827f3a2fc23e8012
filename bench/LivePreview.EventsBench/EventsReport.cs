using System.Globalization;
using System.Text;

namespace LivePreview.EventsBench;

internal static class EventsReport
{
    public static string Format(EventsBenchOptions options, TimeSpan published, TimeSpan delivered, StreamClient[] filtered, StreamClient unfiltered)
    {
        var filteredLatencies = filtered.SelectMany(c => c.LatenciesMs).Order().ToArray();
        var unfilteredLatencies = unfiltered.LatenciesMs.Order().ToArray();
        var closed = filtered.Append(unfiltered).Count(c => c.CloseStatus is not null);
        var deliveries = filteredLatencies.Length + unfilteredLatencies.Length;
        var text = new StringBuilder()
            .AppendLine("## Live event stream (WebSocket fan-out)")
            .AppendLine()
            .AppendLine(Invariant($"{options.Clients} clients each filtered to its own sandbox + 1 unfiltered; {options.Events:N0} events published round-robin over the sandboxes by {options.Publishers} concurrent publishers through IEventBus (each event persisted in SQLite, then delivered). Latency: publisher's timestamp in the payload, taken before PublishAsync (so it includes waiting for the bus's single write lock), or the event's own timestamp, stamped by the bus just before the insert, to the client's receive; same process, same clock. {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}."))
            .AppendLine()
            .AppendLine("| metric | value |")
            .AppendLine("|---|---|")
            .AppendLine(Invariant($"| events published | {options.Events:N0} in {published.TotalSeconds:F2} s |"))
            .AppendLine(Invariant($"| publish rate | **{options.Events / published.TotalSeconds:N0} events/s** |"))
            .AppendLine(Invariant($"| deliveries (filtered + unfiltered) | {filteredLatencies.Length:N0} + {unfilteredLatencies.Length:N0}, all done {delivered.TotalSeconds:F2} s after the first publish ({deliveries / delivered.TotalSeconds:N0}/s) |"))
            .AppendLine(Row("latency from PublishAsync call, filtered clients", filteredLatencies))
            .AppendLine(Row("latency from PublishAsync call, unfiltered client", unfilteredLatencies))
            .AppendLine(Row("latency from the bus's timestamp (persist + deliver), filtered clients", filtered.SelectMany(c => c.SinceStampMs).Order().ToArray()))
            .AppendLine(Invariant($"| clients closed as too slow (4008) | {closed} |"));
        return text.ToString();
    }

    private static string Row(string name, double[] sorted) => sorted.Length == 0
        ? $"| {name} | no events received |"
        : Invariant($"| {name} p50 / p95 / p99 / max | **{Percentile(sorted, 0.50):F2}** / **{Percentile(sorted, 0.95):F2}** / {Percentile(sorted, 0.99):F2} / {sorted[^1]:F2} ms |");

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
