namespace LivePreview.Events;

/// <summary>
/// Delivers the events of every instance that shares the database to this instance's subscribers, in sequence order and
/// each once. The database is the sequence authority: a sequence is assigned inside the transaction that stores the event,
/// one writer at a time (SQLite's write lock; PostgreSQL's transaction-scoped advisory lock), so once sequence S is
/// committed every smaller one is committed too or never will be (a rolled-back number). That makes a read of the
/// table after the last delivered sequence always safe to deliver, whatever triggered it: an event this instance just
/// committed (<see cref="OfferAsync"/>: delivered at once when it is next, else after the committed ones before it,
/// read from the database), a signal from another instance or the periodic look (<see cref="CatchUpAsync"/>). A signal
/// is never trusted for content or for skipping: it only says "read now"; what is delivered is what the database holds.
/// </summary>
internal sealed class EventSequencer(EventStore store, EventSubscribers subscribers, int pageSize)
{
    private const long Uninitialized = -1;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _delivered = Uninitialized;

    /// <summary>The last sequence delivered to this instance's subscribers (-1 before the first use).</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>
    /// Called before a subscriber registers: the first one starts delivery after the newest stored event, which its
    /// replay from the database covers. (Before that nobody listened, so nothing older needed delivering.)
    /// </summary>
    public void EnsureStarted()
    {
        if (Delivered != Uninitialized)
        {
            return;
        }
        _gate.Wait();
        try
        {
            if (_delivered == Uninitialized)
            {
                Interlocked.Exchange(ref _delivered, store.LastSequenceAsync(CancellationToken.None).GetAwaiter().GetResult());
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>An event this instance has just committed.</summary>
    public async Task OfferAsync(LivePreviewEvent e, CancellationToken cancellationToken)
    {
        if (e.Sequence <= Delivered)
        {
            return;
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_delivered == Uninitialized)
            {
                // Nobody subscribed yet: start with this event.
                Interlocked.Exchange(ref _delivered, e.Sequence - 1);
            }
            if (e.Sequence <= _delivered)
            {
                return;
            }
            if (e.Sequence == _delivered + 1)
            {
                subscribers.Deliver(e);
                Interlocked.Exchange(ref _delivered, e.Sequence);
                return;
            }
            // Committed before it (by another instance, or by this one on another thread): those first, then this one.
            await FillAsync(e.Sequence, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Delivers what the database holds after the last delivered sequence, up to <paramref name="upTo"/> (a signal's number) or all.</summary>
    public async Task CatchUpAsync(long upTo, CancellationToken cancellationToken)
    {
        if (upTo <= Delivered)
        {
            return;
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_delivered == Uninitialized)
            {
                Interlocked.Exchange(ref _delivered, await store.LastSequenceAsync(cancellationToken));
                return;
            }
            await FillAsync(upTo, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task FillAsync(long upTo, CancellationToken cancellationToken)
    {
        while (_delivered < upTo)
        {
            var page = await store.ReadAfterAsync(_delivered, EventFilter.All, pageSize, cancellationToken);
            foreach (var e in page)
            {
                if (e.Sequence > upTo)
                {
                    return;
                }
                subscribers.Deliver(e);
                Interlocked.Exchange(ref _delivered, e.Sequence);
            }
            if (page.Count < pageSize)
            {
                return;
            }
        }
    }
}
