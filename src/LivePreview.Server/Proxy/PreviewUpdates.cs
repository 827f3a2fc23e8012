using System.Text.Json;
using System.Threading.RateLimiting;
using LivePreview.Events;
using LivePreview.Previews;
using LivePreview.Sandboxes;
using Microsoft.Extensions.Options;

namespace LivePreview.Proxy;

/// <summary>
/// <c>POST /__livepreview/updated</c>: the client script saw a hot update applied and painted; one PREVIEW_UPDATED
/// event per update (not per tab) says how long it took. Two figures, each on one clock: the browser's
/// <c>received_to_painted_ms</c> (update message in the page → painted), and the server's <c>edit_to_report_ms</c>
/// (the edit on disk, FILE_CHANGED's <c>written_at</c> → this report arrived), which spans the dev server's watcher, the update message, the
/// module fetch, the apply, the paint and the report's own request. A browser timestamp is never subtracted from a
/// server one: the page sends only durations.
/// </summary>
/// <remarks>
/// The page is hostile: the report passes the same origin, JSON and size checks as a client report
/// (<see cref="ReportRequest"/>), a token bucket per sandbox (over all its ports and tabs), and <see cref="UpdateReport"/>'s
/// bounds. A report repeating an update already reported for the preview (another tab: Vite sends every page the same
/// paths and timestamps), or an unnamed one (a reload, Next's hook) with no new edit to cover, is answered 204 and publishes nothing. Each report
/// covers the newest edit after the one the preview's previous report covered, preferring one whose path Vite named,
/// so an edit is reported once. What is remembered is per instance and bounded; behind a load balancer two tabs on two
/// instances may report one update twice.
/// </remarks>
internal sealed partial class PreviewUpdates : IDisposable
{
    private const int MaxTrackedPreviews = 4096;
    private const int MaxKeysPerPreview = 32;
    private const int MaxEditsLookedAt = 50;
    private static readonly string[] EditTypes = [EventTypes.FileChanged, EventTypes.FileDeleted];

    private readonly IEventBus _events;
    private readonly EventStore _store;
    private readonly PreviewAddress _address;
    private readonly PreviewOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<PreviewUpdates> _logger;
    private readonly PartitionedRateLimiter<string> _bucket;
    private readonly Dictionary<string, PreviewState> _states = [];
    private readonly Dictionary<string, DateTimeOffset> _limitLogged = [];

    public PreviewUpdates(IEventBus events, EventStore store, PreviewAddress address, IOptions<PreviewOptions> options, TimeProvider time, ILogger<PreviewUpdates> logger)
    {
        (_events, _store, _address, _options, _time, _logger) = (events, store, address, options.Value, time, logger);
        var o = _options;
        _bucket = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = o.UpdateReportBurst,
            TokensPerPeriod = o.UpdateReportsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>Answers one update report; the status code says what became of it.</summary>
    public async Task<ReportVerdict> AcceptAsync(HttpContext context, PreviewSnapshot preview)
    {
        var receivedAt = _time.GetUtcNow();
        if (ReportRequest.Refusal(context.Request, preview, _address, UpdateReport.MaxBytes) is { } refused)
        {
            return refused;
        }
        using (var lease = _bucket.AttemptAcquire(preview.SandboxId))
        {
            if (!lease.IsAcquired)
            {
                LogLimitedOnce(preview.SandboxId, receivedAt);
                return new(StatusCodes.Status429TooManyRequests, "Too many update reports from this sandbox's pages; slow down.");
            }
        }
        var (bytes, truncated) = await BoundedReader.ReadAsync(context.Request.Body, UpdateReport.MaxBytes, context.RequestAborted);
        if (truncated)
        {
            return ReportRequest.TooLarge(UpdateReport.MaxBytes);
        }
        if (UpdateReport.Parse(bytes, out var error) is not { } report)
        {
            return new(StatusCodes.Status400BadRequest, error);
        }
        await PublishOnceAsync(preview, report, receivedAt, context.RequestAborted);
        return new(StatusCodes.Status204NoContent, null);
    }

    private async Task PublishOnceAsync(PreviewSnapshot preview, UpdateReport report, DateTimeOffset receivedAt, CancellationToken ct)
    {
        var state = StateOf($"{preview.SandboxId}:{preview.Port}", receivedAt);
        await state.Gate.WaitAsync(ct);
        try
        {
            // Vite names its updates (paths and its own timestamps), the same for every tab; a reload and Next's hook do not.
            var identified = report.Kind == "hmr" && report.Updates.Count > 0;
            if (identified && !state.Remember(report.Key))
            {
                LogDuplicate(_logger, preview.SandboxId, preview.Port, report.Kind);
                return;
            }
            var edit = await NewestEditAsync(preview.SandboxId, state.LastEditSequence, report, receivedAt, ct);
            if (edit is null && !identified)
            {
                // Without an identity of its own, an update with no new edit is another tab's copy (or nothing we can time).
                return;
            }
            state.LastEditSequence = edit?.Sequence ?? state.LastEditSequence;
            var editToReport = edit is null ? (double?)null : Math.Round(Math.Max(0, (receivedAt - WrittenAt(edit)).TotalMilliseconds), 1);
            await _events.PublishAsync(new EventDraft(EventTypes.PreviewUpdated, EntityTypes.Preview, preview.Id, preview.SandboxId, new
            {
                port = preview.Port,
                kind = report.Kind,
                paths = report.Updates.Select(u => u.Path).Distinct().ToArray(),
                received_to_applied_ms = report.ReceivedToAppliedMs,
                received_to_painted_ms = report.ReceivedToPaintedMs,
                edit_to_report_ms = editToReport,
                edit = edit is null ? null : new { sequence = edit.Sequence, path = PathOf(edit), source = Text(edit, "source") },
            }), CancellationToken.None);
            LogUpdated(_logger, preview.SandboxId, preview.Port, report.Kind, editToReport, report.ReceivedToPaintedMs);
        }
        finally
        {
            state.Gate.Release();
        }
    }

    /// <summary>The newest edit after <paramref name="after"/> within the match window, one Vite named first.</summary>
    private async Task<LivePreviewEvent?> NewestEditAsync(string sandboxId, long after, UpdateReport report, DateTimeOffset now, CancellationToken ct)
    {
        var edits = await _store.ReadNewestAsync(sandboxId, EditTypes, after, now - _options.UpdateMatchWindow, MaxEditsLookedAt, ct);
        var named = report.Updates.Select(u => ModulePath(u.Path)).ToHashSet(StringComparer.Ordinal);
        return edits.FirstOrDefault(e => PathOf(e) is { } path && named.Contains(path)) ?? edits.FirstOrDefault();
    }

    /// <summary><c>/src/App.vue?vue&amp;type=style…</c> → <c>src/App.vue</c>, as FILE_CHANGED names it.</summary>
    private static string ModulePath(string url) => url.Split('?', '#')[0].TrimStart('/');

    private static string? PathOf(LivePreviewEvent e) => Text(e, "path");

    /// <summary>When the edit was on disk (server clock); the event's stored time for events written before <c>written_at</c> existed.</summary>
    private static DateTimeOffset WrittenAt(LivePreviewEvent e) =>
        e.Payload is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty("written_at", out var v) && v.ValueKind == JsonValueKind.String
        && v.TryGetDateTimeOffset(out var at) ? at : e.Timestamp;

    private static string? Text(LivePreviewEvent e, string name) =>
        e.Payload is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private PreviewState StateOf(string key, DateTimeOffset now)
    {
        lock (_states)
        {
            if (!_states.TryGetValue(key, out var state))
            {
                if (_states.Count >= MaxTrackedPreviews)
                {
                    // Forget the previews idle longest; at worst one of them reports an update twice.
                    foreach (var idle in _states.OrderBy(s => s.Value.Touched).Take(MaxTrackedPreviews / 4).Select(s => s.Key).ToList())
                    {
                        _states.Remove(idle);
                    }
                }
                _states[key] = state = new PreviewState();
            }
            state.Touched = now;
            return state;
        }
    }

    private void LogLimitedOnce(string sandboxId, DateTimeOffset now)
    {
        lock (_limitLogged)
        {
            if (_limitLogged.TryGetValue(sandboxId, out var last) && now - last < TimeSpan.FromMinutes(1))
            {
                return;
            }
            if (_limitLogged.Count >= MaxTrackedPreviews)
            {
                _limitLogged.Clear();
            }
            _limitLogged[sandboxId] = now;
        }
        LogLimited(_logger, sandboxId, _options.UpdateReportBurst, _options.UpdateReportsPerSecond);
    }

    [LoggerMessage(EventId = 2910, Level = LogLevel.Debug,
        Message = "Preview of sandbox {SandboxId} port {Port} updated ({Kind}): edit → report {EditToReportMs} ms (server clock), received → painted {PaintedMs} ms (browser clock)")]
    private static partial void LogUpdated(ILogger logger, string sandboxId, int port, string kind, double? editToReportMs, double paintedMs);

    [LoggerMessage(EventId = 2911, Level = LogLevel.Debug, Message = "Preview of sandbox {SandboxId} port {Port}: a {Kind} update already reported (another tab) is not published again")]
    private static partial void LogDuplicate(ILogger logger, string sandboxId, int port, string kind);

    [LoggerMessage(EventId = 2912, Level = LogLevel.Warning,
        Message = "Pages of sandbox {SandboxId} sent update reports beyond {Burst} at once and {PerSecond} a second; the excess gets 429 (logged once a minute)")]
    private static partial void LogLimited(ILogger logger, string sandboxId, int burst, int perSecond);

    public void Dispose() => _bucket.Dispose();

    /// <summary>What one preview has reported: the updates (by Vite's paths and timestamps) and the newest edit covered.</summary>
    private sealed class PreviewState
    {
        private readonly Queue<string> _order = new();
        private readonly HashSet<string> _keys = new(StringComparer.Ordinal);

        public SemaphoreSlim Gate { get; } = new(1, 1);

        public long LastEditSequence { get; set; }

        public DateTimeOffset Touched { get; set; }

        /// <summary>False when the update was reported before.</summary>
        public bool Remember(string key)
        {
            if (!_keys.Add(key))
            {
                return false;
            }
            _order.Enqueue(key);
            if (_order.Count > MaxKeysPerPreview)
            {
                _keys.Remove(_order.Dequeue());
            }
            return true;
        }
    }
}
