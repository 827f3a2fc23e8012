using LivePreview.Events;

namespace LivePreview.Tests.Events;

public class InProcessEventBusTests : IAsyncLifetime
{
    protected virtual bool OnPostgres => false;

    private EventDatabase _db = null!;

    public async Task InitializeAsync() => _db = await EventDatabase.CreateAsync(OnPostgres);

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task A_subscription_is_live_as_soon_as_subscribe_returns_before_it_is_enumerated()
    {
        var bus = _db.CreateBus(TimeProvider.System);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var live = bus.SubscribeAsync(new EventFilter("abcdefghijkl"), cts.Token);

        var published = await bus.PublishAsync(EventFixtures.FileChanged("abcdefghijkl", 1));

        await using var events = live.GetAsyncEnumerator();
        Assert.True(await events.MoveNextAsync());
        Assert.Equal(published.Sequence, events.Current.Sequence);
    }

    [Fact]
    public async Task A_burst_is_stored_and_delivered_in_call_order_and_an_event_that_cannot_be_stored_fails_only_its_own_publisher()
    {
        var bus = _db.CreateBus(TimeProvider.System, new EventBusOptions { WriteBatchSize = 16 });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var live = bus.SubscribeAsync(EventFilter.All, cts.Token);

        // Queued at once: the writer stores them a batch per transaction; the batch holding the bad one is stored again one by one.
        var publishes = Enumerable.Range(0, 100).Select(i => i == 50
            ? bus.PublishAsync(new EventDraft(null!, "file", "src/x.ts", "abcdefghijkl"))
            : bus.PublishAsync(EventFixtures.FileChanged("abcdefghijkl", i))).ToList();

        await Assert.ThrowsAnyAsync<Exception>(() => publishes[50]);
        var stored = (await Task.WhenAll(publishes.Where((_, i) => i != 50))).Select(e => e.Sequence).ToList();
        Assert.Equal(stored.Order(), stored);
        Assert.Equal(stored, await _db.SequencesAsync());
        var received = new List<long>();
        await foreach (var e in live)
        {
            received.Add(e.Sequence);
            if (received.Count == stored.Count)
            {
                break;
            }
        }
        Assert.Equal(stored, received);
    }

    [Fact]
    public async Task A_subscriber_that_falls_behind_its_buffer_gets_its_buffered_events_then_a_slow_subscriber_error()
    {
        var bus = _db.CreateBus(TimeProvider.System, new EventBusOptions { SubscriberBufferSize = 3 });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var live = bus.SubscribeAsync(EventFilter.All, cts.Token);

        for (var i = 0; i < 10; i++)
        {
            await bus.PublishAsync(EventFixtures.FileChanged("abcdefghijkl", i));
        }

        var received = new List<long>();
        await Assert.ThrowsAsync<SlowSubscriberException>(async () =>
        {
            await foreach (var e in live)
            {
                received.Add(e.Sequence);
            }
        });
        Assert.Equal([1, 2, 3], received);
    }

    [Fact]
    public async Task A_sandbox_subscriber_gets_only_its_sandbox_and_the_index_forgets_the_sandbox_when_it_leaves()
    {
        var bus = (InProcessEventBus)_db.CreateBus(TimeProvider.System);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var live = bus.SubscribeAsync(new EventFilter("abcdefghijkl"), cts.Token);
        await bus.PublishAsync(EventFixtures.FileChanged("bbcdefghijkl", 1));
        var mine = await bus.PublishAsync(EventFixtures.FileChanged("abcdefghijkl", 2));

        await using (var events = live.GetAsyncEnumerator())
        {
            Assert.True(await events.MoveNextAsync());
            Assert.Equal(mine.Sequence, events.Current.Sequence);
            Assert.Equal(1, bus.IndexedSandboxCount);
        }

        Assert.Equal(0, bus.IndexedSandboxCount);
    }
}

/// <summary>The same tests on a real PostgreSQL 15.</summary>
public sealed class InProcessEventBusOnPostgreSqlTests : InProcessEventBusTests
{
    protected override bool OnPostgres => true;
}
