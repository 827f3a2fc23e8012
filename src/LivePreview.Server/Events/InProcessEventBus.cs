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

    /// <summary>Registers the subscriber before returning, so a caller can subscribe first and then replay.</summary>
    public IAsyncEnumerable<LivePreviewEvent> SubscribeAsync(EventFilter filter, CancellationToken cancellationToken) =>
        _subscribers.Subscribe(filter, cancellationToken);
}

/// <summary>The subscriber fell behind by more than its buffer; it resumes from the last sequence it read.</summary>
public sealed class SlowSubscriberException() : Exception("Subscriber fell behind its event buffer; resume from the last sequence read.");
