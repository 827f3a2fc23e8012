using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Events;
using LivePreview.Tests.Support;
using Microsoft.Playwright;

namespace LivePreview.Bench;

/// <summary>
/// Prompt-to-visual overhead with the replay agent, which has no model time: from POST …/prompt until
/// the preview, opened through the proxy in Chromium, shows the edit; and separately until
/// PROMPT_COMPLETED, which adds the settle wait (the dev server's verdict on the edit) and the
/// checkpoint commit. One prototyping session, one single-edit transcript per prompt (<see cref="BenchTranscripts"/>).
/// </summary>
/// <remarks>
/// The visual time is taken inside the page on its own clock, as in <see cref="HmrBench"/>:
/// <c>performance.now()</c> right before the POST, and a MutationObserver's <c>performance.now()</c> when
/// the new heading is in the &lt;h1&gt;. The server-side times come from the event bus, read in this
/// process as the events are published, against a stopwatch started right before the POST.
/// </remarks>
internal sealed class PromptBench(LivePreviewHost host, Janitor janitor, Report report)
{
    private const double TargetMs = 500;
    private static readonly TimeSpan SampleTimeout = TimeSpan.FromSeconds(20);

    /// <summary>One prompt; the server-side times are on a stopwatch started right before the POST.</summary>
    private sealed record Sample(double ToDomMs, double PostMs, TurnTimes Turn);

    /// <param name="ToFileMs">The edit is on disk (AGENT_TOOL_COMPLETED).</param>
    /// <param name="ToUpdateLogMs">The dev server said it sent the update ("hmr update" in DEV_SERVER_LOG): what the settle wait waits for.</param>
    /// <param name="ToCheckpointMs">CHECKPOINT_CREATED: after the settle grace and the git commit.</param>
    private sealed record TurnTimes(double ToFileMs, double ToUpdateLogMs, double ToCheckpointMs, double ToCompletedMs);

    /// <summary>Transcripts to write: a disturbed sample uses up one, like a measured one.</summary>
    public static int TranscriptsNeeded(int warmUp, int prompts) => warmUp + prompts + PreviewPage.MaxReopens;

    public async Task RunAsync(IBrowser browser, int warmUp, int prompts, CancellationToken cancellationToken)
    {
        var (sessionId, sandboxId, url) = await StartSessionAsync(cancellationToken);
        Console.WriteLine($"prompt→DOM: {warmUp} warm-up + {prompts} measured replay prompts in session {sessionId}, preview {url}");
        var page = await PreviewPage.OpenAsync(browser, janitor, url, cancellationToken);
        var samples = new List<Sample>();
        var disturbed = 0;
        try
        {
            for (var n = 1; samples.Count < prompts; n++)
            {
                var sample = await OneAsync(page, sessionId, sandboxId, n, cancellationToken);
                if (sample is null)
                {
                    disturbed++;
                    Console.WriteLine($"  prompt {n}: disturbed by ERR_NETWORK_CHANGED (a host interface came or went); not counted, page re-opened");
                    page = await page.ReopenAsync(browser, cancellationToken);
                    continue;
                }
                var measured = n > warmUp;
                if (measured)
                {
                    samples.Add(sample);
                }
                var t = sample.Turn;
                Console.WriteLine($"  prompt {n}: DOM {Stats.Ms(sample.ToDomMs)}, completed {Stats.Ms(t.ToCompletedMs)} (POST {Stats.Ms(sample.PostMs)}, file written {Stats.Ms(t.ToFileMs)}, "
                    + $"update logged {Stats.Ms(t.ToUpdateLogMs)}, checkpoint {Stats.Ms(t.ToCheckpointMs)}){(measured ? "" : " (warm-up)")}");
            }
            await page.AssertNotReloadedAsync();
        }
        finally
        {
            await page.CloseAsync();
            using var end = await host.Http.DeleteAsync($"api/v1/prototype/session/{sessionId}", CancellationToken.None);
            await janitor.DeleteApiSandboxAsync(sandboxId, CancellationToken.None);
        }
        AddRows(samples, warmUp, disturbed);
    }

    private void AddRows(List<Sample> samples, int warmUp, int disturbed)
    {
        var toDom = samples.Select(s => s.ToDomMs).ToList();
        var toCompleted = samples.Select(s => s.Turn.ToCompletedMs).ToList();
        string P50(Func<Sample, double> pick) => Stats.Ms(Stats.P50(samples.Select(pick).ToList()));
        var p50 = Stats.P50(toDom);
        var notes = disturbed == 0 ? "" : $"; {disturbed} prompts not counted after ERR_NETWORK_CHANGED";
        report.Add(new Row("prompt→DOM via proxy (replay, react-vite)", Stats.Ms(p50), Stats.Ms(Stats.P95(toDom)), "p50 ≤ 0.5 s", Report.Met(p50 <= TargetMs),
            $"n={samples.Count} after {warmUp} warm-up; single replace_text of the <h1>, no model time: all of it is ours; in-page performance.now() before POST …/prompt → MutationObserver; "
            + $"POST (202) p50 {P50(s => s.PostMs)}, POST → file written (AGENT_TOOL_COMPLETED) p50 {P50(s => s.Turn.ToFileMs)}{notes}"));
        report.Add(new Row("prompt→PROMPT_COMPLETED (replay, react-vite)", Stats.Ms(Stats.P50(toCompleted)), Stats.Ms(Stats.P95(toCompleted)), "—", "—",
            $"n={samples.Count}; stopwatch before POST → the event on the bus. p50 of each step from the POST: file written {P50(s => s.Turn.ToFileMs)}, "
            + $"dev server logs \"hmr update\" {P50(s => s.Turn.ToUpdateLogMs)} (ends the settle wait), CHECKPOINT_CREATED {P50(s => s.Turn.ToCheckpointMs)} "
            + "(after the settle's fixed 400 ms grace and the git add + commit in the sandbox), PROMPT_COMPLETED after the turn is stored"));
    }

    private async Task<(string SessionId, string SandboxId, string Url)> StartSessionAsync(CancellationToken cancellationToken)
    {
        using var response = await host.Http.PostAsJsonAsync("api/v1/prototype/session", new { framework = BenchTranscripts.Framework, agent = "replay" }, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"Starting a prototype session answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
        var session = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        var sandboxId = session.GetProperty("sandbox_id").GetString()!;
        janitor.ApiSandbox(sandboxId);
        var preview = await host.WaitForPreviewAsync(sandboxId, timeout: TimeSpan.FromMinutes(2)).WaitAsync(cancellationToken);
        var grant = await host.CreateGrantAsync(preview.GetProperty("id").GetString()!, expiresInSeconds: 6 * 3600);
        return (session.GetProperty("id").GetString()!, sandboxId, grant.GetProperty("url").GetString()!);
    }

    /// <summary>One prompt; null when a host network change broke the page's update (the edit still happened).</summary>
    private async Task<Sample?> OneAsync(PreviewPage page, string sessionId, string sandboxId, int n, CancellationToken cancellationToken)
    {
        await page.WaitForHeadingAsync(BenchTranscripts.Heading(n - 1), SampleTimeout);
        await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        using var watch = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        watch.CancelAfter(SampleTimeout);
        var clock = new Stopwatch();
        var events = TurnEventsAsync(sandboxId, clock, watch.Token);
        var armed = await page.ArmAsync(BenchTranscripts.Heading(n));
        clock.Start();
        using (var response = await host.Http.PostAsJsonAsync($"api/v1/prototype/session/{sessionId}/prompt", new { prompt = BenchTranscripts.Prompt(n) }, cancellationToken))
        {
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                throw new InvalidOperationException($"POST …/prompt answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
            }
        }
        var postMs = clock.Elapsed.TotalMilliseconds;
        var changesBefore = page.NetworkChanges;
        double? seen = null;
        try
        {
            seen = await page.SeenAsync(BenchTranscripts.Heading(n), SampleTimeout);
        }
        catch (TimeoutException) when (page.NetworkChanges > changesBefore)
        {
        }
        var turn = await events;
        return seen is null || page.NetworkChanges > changesBefore ? null : new Sample(seen.Value - armed, postMs, turn);
    }

    /// <summary>Subscribed before the POST; when each step of the turn happened, on the stopwatch.</summary>
    private Task<TurnTimes> TurnEventsAsync(string sandboxId, Stopwatch clock, CancellationToken cancellationToken)
    {
        var types = new HashSet<string>
        {
            EventTypes.AgentToolCompleted, EventTypes.DevServerLog, EventTypes.CheckpointCreated, EventTypes.PromptCompleted, EventTypes.PromptFailed,
        };
        var stream = host.Service<IEventBus>().SubscribeAsync(new EventFilter(sandboxId, types), cancellationToken);
        return Task.Run(async () =>
        {
            var (file, update, checkpoint) = (double.NaN, double.NaN, double.NaN);
            await foreach (var e in stream)
            {
                var at = clock.Elapsed.TotalMilliseconds;
                switch (e.Type)
                {
                    case EventTypes.AgentToolCompleted when double.IsNaN(file):
                        file = at;
                        break;
                    case EventTypes.DevServerLog when double.IsNaN(update) && e.Payload?.GetRawText().Contains("hmr update", StringComparison.OrdinalIgnoreCase) == true:
                        update = at;
                        break;
                    case EventTypes.CheckpointCreated:
                        checkpoint = at;
                        break;
                    case EventTypes.PromptCompleted:
                        return new TurnTimes(file, update, checkpoint, at);
                    case EventTypes.PromptFailed:
                        throw new InvalidOperationException($"The bench prompt failed: {e.Payload}");
                }
            }
            throw new TimeoutException("The bus stream ended before PROMPT_COMPLETED.");
        }, cancellationToken);
    }
}
