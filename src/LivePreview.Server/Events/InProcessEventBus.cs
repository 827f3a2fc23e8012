using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using LivePreview.Hosting;
using LivePreview.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LivePreview.Events;

/// <summary>
/// Persists each event in the database, then hands it to the subscribers whose filter matches.
/// Subscribers are indexed by sandbox id so a publish touches only the connections that care.
/// One writer at a time keeps sequence order and delivery order the same (across instances on PostgreSQL: see PublishAsync).
/// </summary>
internal sealed partial class InProcessEventBus(
    IDbContextFactory<LivePreviewDbContext> dbFactory,
    IOptions<EventBusOptions> options,
    TimeProvider time,
    ILogger<InProcessEventBus> logger) : IEventBus
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Subscription, byte>> _bySandbox = new();
    private readonly ConcurrentDictionary<Subscription, byte> _unscoped = new();

    // Taken to add or remove subscribers (not to deliver), so an emptied sandbox entry can be dropped
    // without racing a subscriber that is being added to it.
    private readonly Lock _indexLock = new();

    /// <summary>Sandboxes that have at least one subscriber (for tests).</summary>
    internal int IndexedSandboxCount => _bySandbox.Count;

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
                // The sequence is the cursor clients resume from (events after N), so it must grow in commit order.
                // SQLite's single writer gives that. A PostgreSQL identity does not: two transactions can take 7 and 8
                // and commit 8 first, and a reader that saw 8 would never ask for 7. The advisory lock makes taking the
                // number and committing the row one step across every instance; _writeLock only spares this process
                // the database round trips of queueing on it.
                await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
                await db.Database.LockForTransactionAsync(DatabaseLocks.EventSequence, CancellationToken.None);
                stored = await InsertAsync(db, draft, timestamp, payload?.GetRawText());
                await transaction.CommitAsync(CancellationToken.None);
            }
            var published = new LivePreviewEvent(stored.Sequence, draft.Type, draft.EntityType, draft.EntityId, draft.SandboxId, timestamp, payload, stored.Owner);
            Deliver(published);
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
    private static async Task<StoredEvent> InsertAsync(LivePreviewDbContext db, EventDraft draft, DateTimeOffset timestamp, string? payload)
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

    private sealed class StoredEvent
    {
        public long Sequence { get; set; }
        public string? Owner { get; set; }
    }

    /// <summary>Registers the subscriber before returning, so a caller can subscribe first and then replay.</summary>
    public IAsyncEnumerable<LivePreviewEvent> SubscribeAsync(EventFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var subscription = new Subscription(filter, options.Value.SubscriberBufferSize);
        Register(subscription);
        // Unregistered when the token is cancelled too, so a stream that is never enumerated does not leak.
        var registration = cancellationToken.Register(() => Unregister(subscription));
        return ReadAsync(subscription, registration, cancellationToken);
    }

    private async IAsyncEnumerable<LivePreviewEvent> ReadAsync(
        Subscription subscription,
        CancellationTokenRegistration registration,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var e in subscription.Channel.Reader.ReadAllAsync(cancellationToken))
            {
                yield return e;
            }
        }
        finally
        {
            Unregister(subscription);
            await registration.DisposeAsync();
        }
    }

    private void Register(Subscription subscription)
    {
        lock (_indexLock)
        {
            var index = subscription.Filter.SandboxId is { } id ? _bySandbox.GetOrAdd(id, _ => new()) : _unscoped;
            index[subscription] = 0;
        }
    }

    private void Unregister(Subscription subscription)
    {
        lock (_indexLock)
        {
            if (subscription.Filter.SandboxId is not { } id)
            {
                _unscoped.TryRemove(subscription, out _);
            }
            else if (_bySandbox.TryGetValue(id, out var index))
            {
                index.TryRemove(subscription, out _);
                if (index.IsEmpty)
                {
                    _bySandbox.TryRemove(id, out _);
                }
            }
        }
    }

    private void Deliver(LivePreviewEvent e)
    {
        if (e.SandboxId is not null && _bySandbox.TryGetValue(e.SandboxId, out var scoped))
        {
            DeliverTo(scoped, e);
        }
        DeliverTo(_unscoped, e);
    }

    private void DeliverTo(ConcurrentDictionary<Subscription, byte> subscribers, LivePreviewEvent e)
    {
        // Enumerating the dictionary itself takes no locks (its Keys property would take them all and copy).
        foreach (var (subscription, _) in subscribers)
        {
            if (!subscription.Filter.Matches(e) || subscription.Channel.Writer.TryWrite(e))
            {
                continue;
            }
            // A full buffer means a slow reader: end its stream (it resumes from the last sequence it
            // read, from the database) rather than block the publisher or every other subscriber.
            subscription.Channel.Writer.TryComplete(new SlowSubscriberException());
            subscribers.TryRemove(subscription, out _);
            LogSlowSubscriber(logger, e.Sequence);
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "Dropped a slow event subscriber at sequence {Sequence}")]
    private static partial void LogSlowSubscriber(ILogger logger, long sequence);

    private sealed class Subscription(EventFilter filter, int capacity)
    {
        public EventFilter Filter { get; } = filter;

        public Channel<LivePreviewEvent> Channel { get; } = System.Threading.Channels.Channel.CreateBounded<LivePreviewEvent>(
            new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    }
}

/// <summary>The subscriber fell behind by more than its buffer; it resumes from the last sequence it read.</summary>
public sealed class SlowSubscriberException() : Exception("Subscriber fell behind its event buffer; resume from the last sequence read.");
