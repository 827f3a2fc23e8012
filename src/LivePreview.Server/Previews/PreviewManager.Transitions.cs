using LivePreview.DevServers;
using LivePreview.Events;
using LivePreview.Persistence;
using Microsoft.EntityFrameworkCore;

namespace LivePreview.Previews;

public sealed partial class PreviewManager
{
    private Task TransitionAsync(PreviewEntry entry, PreviewStatus to, string? error, int restarts)
    {
        var from = entry.Snapshot.Status;
        if (!PreviewTransitions.IsAllowed(from, to))
        {
            throw new IllegalTransitionException(from, to);
        }
        return ForceStatusAsync(entry, to, error, restarts);
    }

    private async Task ForceStatusAsync(PreviewEntry entry, PreviewStatus to, string? error, int? restarts = null)
    {
        // A preview that has never been ready (its row says so too, after a restart) may be its sandbox's first: time to preview.
        var firstReady = false;
        var readyAt = DateTimeOffset.MinValue;
        await entry.State.WaitAsync();
        try
        {
            var now = time.GetUtcNow();
            var current = entry.Snapshot;
            var next = current with
            {
                Status = to,
                Error = to == PreviewStatus.Error ? error : null,
                Restarts = restarts ?? current.Restarts,
                UpdatedAt = now,
                ReadyAt = to == PreviewStatus.Ready ? now : current.ReadyAt,
            };
            await using (var db = await dbFactory.CreateDbContextAsync(CancellationToken.None))
            {
                await db.Previews.Where(p => p.Id == current.Id).ExecuteUpdateAsync(u => u
                    .SetProperty(p => p.Status, next.Status)
                    .SetProperty(p => p.Error, next.Error)
                    .SetProperty(p => p.Restarts, next.Restarts)
                    .SetProperty(p => p.UpdatedAt, next.UpdatedAt)
                    .SetProperty(p => p.ReadyAt, next.ReadyAt), CancellationToken.None);
            }
            entry.Snapshot = next;
            (firstReady, readyAt) = (current.ReadyAt is null, now);
            LogTransition(logger, current.Id, current.Status, to);
            await PublishAsync(next, note: to == PreviewStatus.Error ? null : error);
        }
        finally
        {
            entry.State.Release();
        }
        if (to == PreviewStatus.Ready && firstReady)
        {
            metrics.PreviewReady(entry.Snapshot.SandboxId, readyAt);
        }
    }

    private Task PublishAsync(PreviewSnapshot s, string? note = null) =>
        events.PublishAsync(new EventDraft(PreviewTransitions.EventType(s.Status), "preview", s.Id, s.SandboxId,
            new { preview_id = s.Id, port = s.Port, preview_url = s.Url, status = s.Status, error = s.Error, restarts = s.Restarts, note }));

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Preview {PreviewId}: {From} -> {To}")]
    private static partial void LogTransition(ILogger logger, string previewId, PreviewStatus from, PreviewStatus to);

    private sealed class PreviewEntry(PreviewSnapshot snapshot)
    {
        /// <summary>Serializes start/stop of the supervisor.</summary>
        public SemaphoreSlim Control { get; } = new(1, 1);

        /// <summary>Serializes state writes. Separate from <see cref="Control"/>: a stopping supervisor still reports.</summary>
        public SemaphoreSlim State { get; } = new(1, 1);

        public volatile PreviewSnapshot Snapshot = snapshot;

        public DevServerSupervisor? Supervisor;

        public IReadOnlyList<string> LastLogLines = [];

        /// <summary>Set by the supervisor before it reports the state a crash leads to, so whoever reads on that event sees it.</summary>
        public volatile DevServerCrash? LastCrash;
    }
}
