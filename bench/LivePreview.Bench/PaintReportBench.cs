using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using LivePreview.Events;
using LivePreview.Proxy;
using LivePreview.Tests.Support;
using Microsoft.Playwright;

namespace LivePreview.Bench;

/// <summary>
/// The service's own edit-to-paint figure (PREVIEW_UPDATED's <c>edit_to_report_ms</c>, what the agent is told) beside the
/// bench's (a MutationObserver in the page, as in <see cref="HmrBench"/>), per edit, on one react-vite preview opened
/// through the proxy (the client script is injected there), and how long an agent's tool call waits for it.
/// </summary>
/// <remarks>
/// Per edit: subscribe to the sandbox's FILE_CHANGED and PREVIEW_UPDATED on the bus in this process; arm the observer
/// (<c>performance.now()</c> in the page); PUT <c>src/App.tsx</c> with a new &lt;h1&gt;; then, with the FILE_CHANGED's
/// sequence, ask <see cref="PaintFeedback"/> what an agent would be told (timed from its call to its answer: the tool
/// call's added wait, which includes <c>AgentPaintSettle</c>); the observer's time when the text is in the DOM; and the
/// PREVIEW_UPDATED that names that FILE_CHANGED. The two figures start and end at different points: the observer's
/// starts before the PUT and ends at the DOM change (before paint); the service's starts once the file is on disk
/// (<c>written_at</c>, inside the PUT) and ends when the page's report arrives (two animation frames after the change
/// was applied, plus the report's own request).
/// </remarks>
internal sealed partial class PaintReportBench(LivePreviewHost host, Janitor janitor, Report report)
{
    private const string AppFile = "src/App.tsx";
    private static readonly TimeSpan EditTimeout = TimeSpan.FromSeconds(10);
    private static readonly HashSet<string> Types = [EventTypes.FileChanged, EventTypes.PreviewUpdated];

    private sealed record Sample(double ObserverMs, double ReportedMs, double PaintedInPageMs, double AgentWaitMs, bool AgentToldSame);

    public async Task RunAsync(BenchSandbox sandbox, IBrowser browser, int warmUp, int edits, CancellationToken cancellationToken)
    {
        Console.WriteLine($"PREVIEW_UPDATED vs MutationObserver: {warmUp} warm-up + {edits} measured edits on {sandbox.ProxyUrl}");
        var page = await PreviewPage.OpenAsync(browser, janitor, sandbox.GrantUrl, cancellationToken);
        var original = await sandbox.ReadFileAsync(AppFile, cancellationToken);
        var samples = new List<Sample>();
        var disturbed = 0;
        try
        {
            for (var n = 1; samples.Count < edits; n++)
            {
                var changes = page.NetworkChanges;
                var sample = await OneAsync(sandbox, page, original, n, cancellationToken);
                if (sample is null || page.NetworkChanges > changes)
                {
                    disturbed++;
                    Console.WriteLine($"  edit {n}: disturbed by ERR_NETWORK_CHANGED; not counted, page re-opened");
                    page = await page.ReopenAsync(browser, cancellationToken);
                    continue;
                }
                var measured = n > warmUp;
                if (measured)
                {
                    samples.Add(sample);
                }
                Console.WriteLine($"  edit {n}: observer {Stats.Ms(sample.ObserverMs)}, PREVIEW_UPDATED {Stats.Ms(sample.ReportedMs)} "
                    + $"(in page {Stats.Ms(sample.PaintedInPageMs)}), agent waited {Stats.Ms(sample.AgentWaitMs)}{(measured ? "" : " (warm-up)")}");
            }
            await page.AssertNotReloadedAsync();
        }
        finally
        {
            await sandbox.WriteFileAsync(AppFile, original, CancellationToken.None);
            await page.CloseAsync();
        }
        AddRows(samples, warmUp, disturbed);
    }

    private async Task<Sample?> OneAsync(BenchSandbox sandbox, PreviewPage page, string original, int n, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(EditTimeout);
        await using var events = host.Service<IEventBus>().SubscribeAsync(new EventFilter(sandbox.Id, Types), timeout.Token).GetAsyncEnumerator(timeout.Token);
        var marker = $"Paint report bench {n} {Guid.NewGuid():N}";
        var armed = await page.ArmAsync(marker);
        await sandbox.WriteFileAsync(AppFile, H1().Replace(original, $"<h1>{marker}</h1>", 1), cancellationToken);
        try
        {
            var edit = await NextAsync(events, e => e.Type == EventTypes.FileChanged && PaintFeedbackText.Text(e.Payload, "path") == AppFile);
            var asked = Stopwatch.StartNew();
            var told = await host.Service<PaintFeedback>().AfterEditAsync(sandbox.Id, edit.Sequence, cancellationToken) ?? "";
            var agentWait = asked.Elapsed.TotalMilliseconds;
            var seen = await page.SeenAsync(marker, EditTimeout);
            var updated = await NextAsync(events, e => e.Type == EventTypes.PreviewUpdated && PaintFeedbackText.Number(e.Payload, "edit", "sequence") == edit.Sequence);
            var reported = PaintFeedbackText.Number(updated.Payload, "edit_to_report_ms") ?? double.NaN;
            var painted = PaintFeedbackText.Number(updated.Payload, "received_to_painted_ms") ?? double.NaN;
            var same = told.Contains(string.Create(CultureInfo.InvariantCulture, $"Preview updated in {reported:0} ms"), StringComparison.Ordinal);
            return new Sample(seen - armed, reported, painted, agentWait, same);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && page.NetworkChanges > 0)
        {
            return null;
        }
    }

    private static async Task<LivePreviewEvent> NextAsync(IAsyncEnumerator<LivePreviewEvent> events, Func<LivePreviewEvent, bool> wanted)
    {
        while (await events.MoveNextAsync())
        {
            if (wanted(events.Current))
            {
                return events.Current;
            }
        }
        throw new InvalidOperationException("The event stream ended.");
    }

    private void AddRows(List<Sample> samples, int warmUp, int disturbed)
    {
        var observer = samples.Select(s => s.ObserverMs).ToList();
        var reported = samples.Select(s => s.ReportedMs).ToList();
        var ratios = samples.Select(s => s.ReportedMs / s.ObserverMs).ToList();
        var agent = samples.Select(s => s.AgentWaitMs).ToList();
        var notes = $"n={samples.Count} after {warmUp} warm-up{(disturbed > 0 ? $", {disturbed} disturbed by ERR_NETWORK_CHANGED" : "")}";
        report.Add(new Row("edit→DOM, the bench's MutationObserver (react-vite, via proxy)", Stats.Ms(Stats.P50(observer)), Stats.Ms(Stats.P95(observer)), "—", "—",
            $"p90 {Stats.Ms(P90(observer))}; {notes}; in-page performance.now() before the PUT → the text in the <h1>"));
        report.Add(new Row("edit→paint reported, PREVIEW_UPDATED edit_to_report_ms", Stats.Ms(Stats.P50(reported)), Stats.Ms(Stats.P95(reported)), "—", "—",
            $"p90 {Stats.Ms(P90(reported))}; server clock: written_at → the page's report arrived (two frames after apply); the agent was told the same figure in {samples.Count(s => s.AgentToldSame)}/{samples.Count}"));
        report.Add(new Row("PREVIEW_UPDATED ÷ MutationObserver, per edit", Stats.Number(Stats.P50(ratios), "0.00"), Stats.Number(Stats.P95(ratios), "0.00"), "—", "—",
            $"p90 {Stats.Number(P90(ratios), "0.00")}; ratio of the two figures of the same edit"));
        report.Add(new Row("agent tool call's added wait (PaintFeedback)", Stats.Ms(Stats.P50(agent)), Stats.Ms(Stats.P95(agent)), "—", "—",
            $"p90 {Stats.Ms(P90(agent))}; from asking right after the PUT to the text, incl. the {host.Service<Microsoft.Extensions.Options.IOptions<LivePreview.Previews.PreviewOptions>>().Value.AgentPaintSettle.TotalMilliseconds:0} ms settle"));
        report.Appendix(PerEdit(samples));
    }

    private static string PerEdit(List<Sample> samples)
    {
        var text = new StringBuilder("| edit | MutationObserver | PREVIEW_UPDATED | ratio | painted in page (browser clock) | agent waited |\n|---:|---:|---:|---:|---:|---:|\n");
        for (var i = 0; i < samples.Count; i++)
        {
            var s = samples[i];
            text.Append(CultureInfo.InvariantCulture, $"| {i + 1} | {Stats.Ms(s.ObserverMs)} | {Stats.Ms(s.ReportedMs)} | {s.ReportedMs / s.ObserverMs:0.00} | {Stats.Ms(s.PaintedInPageMs)} | {Stats.Ms(s.AgentWaitMs)} |\n");
        }
        return text.ToString();
    }

    private static double P90(IReadOnlyCollection<double> values) => Stats.Percentile(values, 0.90);

    [GeneratedRegex("<h1>.*?</h1>", RegexOptions.Singleline)]
    private static partial Regex H1();
}
