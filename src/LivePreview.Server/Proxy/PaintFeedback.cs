using LivePreview.Events;
using LivePreview.Previews;
using Microsoft.Extensions.Options;

namespace LivePreview.Proxy;

/// <summary>
/// What the browser saw of an agent's edit, for the agent: given the sequence of the edit's FILE_CHANGED / FILE_DELETED,
/// waits at most <see cref="PreviewOptions.AgentPaintWait"/> for the preview's PREVIEW_UPDATED that covers it or for the
/// page's errors after it (PREVIEW_CLIENT_REPORT: runtime and console errors, Vite's overlay; a failed or crashed dev
/// server), and says it in a line or two (<see cref="PaintFeedbackText"/>). With no browser on the preview it says so at
/// once instead of waiting. Also the sandbox's latest update and error, for the MCP tool <c>preview_status</c>.
/// </summary>
/// <remarks>
/// Subscribe first, then replay what is stored after the edit, then skip live events already replayed: an update
/// published between the write and the subscription is not missed. Everything quoted comes from the sandbox's page and
/// reaches the agent as data (<see cref="PaintFeedbackText"/>).
/// </remarks>
internal sealed partial class PaintFeedback(IEventBus events, EventStore store, PreviewViewers viewers, IOptions<PreviewOptions> options,
    TimeProvider time, ILogger<PaintFeedback> logger) : Agents.IAgentPreviewFeedback
{
    internal static readonly HashSet<string> ErrorTypes = new(StringComparer.Ordinal)
    {
        EventTypes.PreviewClientReport, EventTypes.PreviewFailed, EventTypes.DevServerCrashed,
    };

    private static readonly HashSet<string> WatchedTypes = [.. ErrorTypes, EventTypes.PreviewUpdated];
    private const int MaxReplayed = 100;

    /// <summary>Whether agents are told at all (<see cref="PreviewOptions.AgentPaintWait"/> above zero).</summary>
    public bool Enabled => options.Value.AgentPaintWait > TimeSpan.Zero;

    /// <summary>The browser's word on the edit published as <paramref name="editSequence"/>, as text for the agent; null when switched off.</summary>
    public async Task<string?> AfterEditAsync(string sandboxId, long editSequence, CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            return null;
        }
        var browsers = viewers.Count(sandboxId);
        if (browsers == 0)
        {
            LogNoBrowser(logger, sandboxId, editSequence);
            return PaintFeedbackText.NoBrowser;
        }
        var seen = await CollectAsync(sandboxId, editSequence, cancellationToken);
        LogFeedback(logger, sandboxId, editSequence, seen.Update is not null, seen.Errors.Count);
        return PaintFeedbackText.Describe(seen, browsers, options.Value.AgentPaintWait);
    }

    /// <summary>The sandbox's newest PREVIEW_UPDATED and newest error event (either null), and how many browsers have its preview open.</summary>
    public async Task<PreviewLatest> LatestAsync(string sandboxId, CancellationToken cancellationToken)
    {
        var update = await store.ReadNewestAsync(sandboxId, [EventTypes.PreviewUpdated], 0, DateTimeOffset.MinValue, 1, cancellationToken);
        var error = await store.ReadNewestAsync(sandboxId, ErrorTypes, 0, DateTimeOffset.MinValue, 1, cancellationToken);
        return new PreviewLatest(viewers.Count(sandboxId), update.FirstOrDefault(), error.FirstOrDefault());
    }

    private async Task<PaintSeen> CollectAsync(string sandboxId, long editSequence, CancellationToken cancellationToken)
    {
        var seen = new PaintSeen(editSequence);
        var started = time.GetTimestamp();
        using var window = new CancellationTokenSource(options.Value.AgentPaintWait, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, window.Token);
        try
        {
            var filter = new EventFilter(sandboxId, WatchedTypes);
            var live = events.SubscribeAsync(filter, linked.Token);
            var replayed = await store.ReadAfterAsync(editSequence, filter, MaxReplayed, linked.Token);
            var last = editSequence;
            foreach (var e in replayed)
            {
                last = e.Sequence;
                Take(seen, e, window, started);
            }
            await foreach (var e in live.WithCancellation(linked.Token))
            {
                if (e.Sequence > last)
                {
                    Take(seen, e, window, started);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The wait is over: what was seen by then is the answer.
        }
        catch (SlowSubscriberException)
        {
            // Too much at once on this sandbox to keep up with; what was seen is still true.
        }
        finally
        {
            // Ends the subscription also when the store failed before it was read (a disposed source would not).
            await linked.CancelAsync();
        }
        return seen;
    }

    /// <summary>
    /// Keeps an event that speaks of the edit; the first one shortens what is left of the wait to
    /// <see cref="PreviewOptions.AgentPaintSettle"/> (never lengthens it), time for the rest of what the page says.
    /// </summary>
    private void Take(PaintSeen seen, LivePreviewEvent e, CancellationTokenSource window, long started)
    {
        var first = seen.IsEmpty;
        if (!seen.Add(e) || !first)
        {
            return;
        }
        var left = options.Value.AgentPaintWait - time.GetElapsedTime(started);
        var settle = options.Value.AgentPaintSettle;
        if (left > settle)
        {
            window.CancelAfter(settle);
        }
    }

    [LoggerMessage(EventId = 2940, Level = LogLevel.Debug, Message = "Sandbox {SandboxId}: no browser has the preview open; the agent is told at once about edit {Sequence}")]
    private static partial void LogNoBrowser(ILogger logger, string sandboxId, long sequence);

    [LoggerMessage(EventId = 2941, Level = LogLevel.Debug, Message = "Sandbox {SandboxId}: after edit {Sequence} the agent is told painted={Painted}, {Errors} errors")]
    private static partial void LogFeedback(ILogger logger, string sandboxId, long sequence, bool painted, int errors);
}

/// <summary>What <see cref="PaintFeedback.LatestAsync"/> found.</summary>
internal sealed record PreviewLatest(int Browsers, LivePreviewEvent? Update, LivePreviewEvent? Error);
