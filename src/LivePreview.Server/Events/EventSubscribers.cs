using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace LivePreview.Events;

/// <summary>
/// The live subscribers of one instance, indexed by sandbox id so a delivery touches only the connections that care.
/// Delivery never blocks: each subscriber has a bounded buffer, and one that falls behind it is ended with
/// <see cref="SlowSubscriberException"/> (it resumes from the database). The buses decide the order of deliveries.
/// </summary>
internal sealed partial class EventSubscribers(int bufferSize, ILogger logger)
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Subscription, byte>> _bySandbox = new();
    private readonly ConcurrentDictionary<Subscription, byte> _unscoped = new();

    // Taken to add or remove subscribers (not to deliver), so an emptied sandbox entry can be dropped
    // without racing a subscriber that is being added to it.
    private readonly Lock _indexLock = new();

    /// <summary>Sandboxes that have at least one subscriber (for tests).</summary>
    public int IndexedSandboxCount => _bySandbox.Count;

    /// <summary>Registers the subscriber before returning, so a caller can subscribe first and then replay.</summary>
    public IAsyncEnumerable<LivePreviewEvent> Subscribe(EventFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var subscription = new Subscription(filter, bufferSize);
        Register(subscription);
        // Unregistered when the token is cancelled too, so a stream that is never enumerated does not leak.
        var registration = cancellationToken.Register(() => Unregister(subscription));
        return ReadAsync(subscription, registration, cancellationToken);
    }

    public void Deliver(LivePreviewEvent e)
    {
        if (e.SandboxId is not null && _bySandbox.TryGetValue(e.SandboxId, out var scoped))
        {
            DeliverTo(scoped, e);
        }
        DeliverTo(_unscoped, e);
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
