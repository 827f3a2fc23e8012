using System.Text.Json;
using LivePreview.Hosting;
using LivePreview.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LivePreview.Events;

/// <summary>
/// Persists each event in the database (a batch per transaction, <see cref="EventBatchWriter"/>), then hands it to the
/// subscribers whose filter matches. The one writer loop stores and delivers in queue order, so sequence order and
/// delivery order are the same.
/// </summary>
internal sealed class InProcessEventBus : IEventBus, IAsyncDisposable
{
    private readonly EventSubscribers _subscribers;
    private readonly EventBatchWriter _writer;

    public InProcessEventBus(IDbContextFactory<LivePreviewDbContext> dbFactory, IOptions<EventBusOptions> options, TimeProvider time, ILogger<InProcessEventBus> logger)
    {
        _subscribers = new EventSubscribers(options.Value.SubscriberBufferSize, logger);
        _writer = new EventBatchWriter(dbFactory, options.Value.WriteBatchSize, batch =>
        {
            foreach (var e in batch)
            {
                _subscribers.Deliver(e);
            }
            return Task.CompletedTask;
        }, time, logger);
    }

    /// <summary>Sandboxes that have at least one subscriber (for tests).</summary>
    internal int IndexedSandboxCount => _subscribers.IndexedSandboxCount;

    /// <summary>Stored and delivered when it returns. Once queued, an event is stored whatever <paramref name="cancellationToken"/> does.</summary>
    public Task<LivePreviewEvent> PublishAsync(EventDraft draft, CancellationToken cancellationToken = default) => _writer.WriteAsync(draft);

    public ValueTask DisposeAsync() => _writer.DisposeAsync();

    /// <summary>
    /// Stores the event with its owner read in the same statement: the sandbox's owner while the sandbox exists,
    /// else the owner of its last event (SANDBOX_DELETED comes after the row is gone), null without a sandbox.
    /// Reading the owner inside the INSERT means no cache can be stale: a pool claim's UPDATE of the owner and
    /// its re-owning of earlier events are one transaction, so every event is stored either before it (and
    /// re-owned) or after it (and owned).
    /// </summary>
    internal static async Task<StoredEvent> InsertAsync(LivePreviewDbContext db, EventDraft draft, DateTimeOffset timestamp, string? payload)
    {
        var ticks = (long)TimestampConverter.ConvertToProvider(timestamp)!;
        var rows = await db.Database.SqlQuery<StoredEvent>($"""
            INSERT INTO events ("Type", "EntityType", "EntityId", "SandboxId", "Timestamp", "Payload", "Owner")
            VALUES ({draft.Type}, {draft.EntityType}, {draft.EntityId}, CAST({draft.SandboxId} AS TEXT), {ticks}, CAST({payload} AS TEXT),
                COALESCE(CASE WHEN EXISTS (SELECT 1 FROM sandboxes WHERE "Id" = CAST({draft.SandboxId} AS TEXT))
                     THEN (SELECT "Owner" FROM sandboxes WHERE "Id" = CAST({draft.SandboxId} AS TEXT))
                     ELSE (SELECT "Owner" FROM events WHERE "SandboxId" = CAST({draft.SandboxId} AS TEXT) ORDER BY "Sequence" DESC LIMIT 1) END,
                    CAST({draft.Owner} AS TEXT)))
            RETURNING "Sequence", "Owner"
            """).ToListAsync(CancellationToken.None);
        return rows.Single();
    }

    private static readonly Microsoft.EntityFrameworkCore.Storage.ValueConversion.DateTimeOffsetToBinaryConverter TimestampConverter = new();

    internal sealed class StoredEvent
    {
        public long Sequence { get; set; }
        public string? Owner { get; set; }
    }

    /// <summary>Registers the subscriber before returning, so a caller can subscribe first and then replay.</summary>
    public IAsyncEnumerable<LivePreviewEvent> SubscribeAsync(EventFilter filter, CancellationToken cancellationToken) =>
        _subscribers.Subscribe(filter, cancellationToken);
}

/// <summary>The subscriber fell behind by more than its buffer; it resumes from the last sequence it read.</summary>
public sealed class SlowSubscriberException() : Exception("Subscriber fell behind its event buffer; resume from the last sequence read.");
