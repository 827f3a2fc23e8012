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
/// One writer at a time keeps sequence order and delivery order the same.
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

    public async Task<LivePreviewEvent> PublishAsync(EventDraft draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var payload = draft.Payload is null ? (JsonElement?)null : JsonSerializer.SerializeToElement(draft.Payload, JsonDefaults.Options);
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var record = new EventRecord
            {
                Type = draft.Type,
                EntityType = draft.EntityType,
                EntityId = draft.EntityId,
                SandboxId = draft.SandboxId,
                Timestamp = time.GetUtcNow(),
                Payload = payload?.GetRawText(),
            };
            await using (var db = await dbFactory.CreateDbContextAsync(CancellationToken.None))
            {
                db.Events.Add(record);
                await db.SaveChangesAsync(CancellationToken.None);
            }
            var published = new LivePreviewEvent(record.Sequence, record.Type, record.EntityType, record.EntityId, record.SandboxId, record.Timestamp, payload);
            Deliver(published);
            return published;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Registers the subscriber before returning, so a caller can subscribe first and then replay.</summary>
    public IAsyncEnumerable<LivePreviewEvent> SubscribeAsync(EventFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var subscription = new Subscription(filter, options.Value.SubscriberBufferSize);
        var index = filter.SandboxId is null ? _unscoped : _bySandbox.GetOrAdd(filter.SandboxId, _ => new());
        index[subscription] = 0;
        // Unregistered when the token is cancelled too, so a stream that is never enumerated does not leak.
        var registration = cancellationToken.Register(() => index.TryRemove(subscription, out _));
        return ReadAsync(subscription, index, registration, cancellationToken);
    }

    private static async IAsyncEnumerable<LivePreviewEvent> ReadAsync(
        Subscription subscription,
        ConcurrentDictionary<Subscription, byte> index,
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
            index.TryRemove(subscription, out _);
            await registration.DisposeAsync();
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
        foreach (var subscription in subscribers.Keys)
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
