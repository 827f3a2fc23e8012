using System.Text.Json;
using LivePreview.Hosting;
using LivePreview.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LivePreview.Events;

/// <summary>
/// Persists each event in the database, then hands it to the subscribers whose filter matches.
/// Subscribers are indexed by sandbox id so a publish touches only the connections that care.
/// One writer at a time keeps sequence order and delivery order the same.
/// </summary>
internal sealed class InProcessEventBus(
    IDbContextFactory<LivePreviewDbContext> dbFactory,
    IOptions<EventBusOptions> options,
    TimeProvider time,
    ILogger<InProcessEventBus> logger) : IEventBus
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly EventSubscribers _subscribers = new(options.Value.SubscriberBufferSize, logger);

    /// <summary>Sandboxes that have at least one subscriber (for tests).</summary>
    internal int IndexedSandboxCount => _subscribers.IndexedSandboxCount;

    public async Task<LivePreviewEvent> PublishAsync(EventDraft draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var payload = draft.Payload is null ? (JsonElement?)null : JsonSerializer.SerializeToElement(draft.Payload, JsonDefaults.Options);
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var timestamp = time.GetUtcNow();
            StoredEvent stored;
            await using (var db = await dbFactory.CreateDbContextAsync(CancellationToken.None))
            {
                stored = await InsertAsync(db, draft, timestamp, payload?.GetRawText());
            }
            var published = new LivePreviewEvent(stored.Sequence, draft.Type, draft.EntityType, draft.EntityId, draft.SandboxId, timestamp, payload, stored.Owner);
            _subscribers.Deliver(published);
            return published;
        }
        finally
        {
            _writeLock.Release();
        }
    }

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
            INSERT INTO events (Type, EntityType, EntityId, SandboxId, Timestamp, Payload, Owner)
            VALUES ({draft.Type}, {draft.EntityType}, {draft.EntityId}, {draft.SandboxId}, {ticks}, {payload},
                COALESCE(CASE WHEN EXISTS (SELECT 1 FROM sandboxes WHERE Id = {draft.SandboxId})
                     THEN (SELECT Owner FROM sandboxes WHERE Id = {draft.SandboxId})
                     ELSE (SELECT Owner FROM events WHERE SandboxId = {draft.SandboxId} ORDER BY Sequence DESC LIMIT 1) END, {draft.Owner}))
            RETURNING Sequence, Owner
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
