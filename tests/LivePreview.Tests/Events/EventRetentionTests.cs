using LivePreview.Events;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace LivePreview.Tests.Events;

public class EventRetentionTests : IAsyncLifetime
{
    protected virtual bool OnPostgres => false;

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly EventBusOptions _options = new() { Retention = TimeSpan.FromDays(7), RetentionBatchSize = 2 };
    private EventDatabase _db = null!;
    private IEventBus _bus = null!;

    public async Task InitializeAsync()
    {
        _db = await EventDatabase.CreateAsync(OnPostgres);
        _bus = _db.CreateBus(_time);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Events_older_than_the_retention_are_deleted_in_batches_and_newer_ones_kept()
    {
        await PublishAsync(5);
        _time.Advance(TimeSpan.FromDays(3));
        var kept = await PublishAsync(3);
        _time.Advance(TimeSpan.FromDays(5));

        var deleted = await CreateRetention().DeleteExpiredAsync(CancellationToken.None);

        Assert.Equal(5, deleted);
        Assert.Equal(kept, await _db.SequencesAsync());
    }

    [Fact]
    public async Task Sequences_are_not_reused_after_every_event_was_deleted()
    {
        var old = await PublishAsync(3);
        _time.Advance(TimeSpan.FromDays(8));
        await CreateRetention().DeleteExpiredAsync(CancellationToken.None);

        var next = await PublishAsync(1);

        Assert.Empty(old.Intersect(next));
        Assert.True(next[0] > old[^1]);
    }

    [Fact]
    public async Task A_retention_of_zero_keeps_every_event()
    {
        _options.Retention = TimeSpan.Zero;
        var all = await PublishAsync(4);
        _time.Advance(TimeSpan.FromDays(365));

        Assert.Equal(0, await CreateRetention().DeleteExpiredAsync(CancellationToken.None));
        Assert.Equal(all, await _db.SequencesAsync());
    }

    [Fact]
    public async Task The_background_service_cleans_up_at_start_and_then_every_interval()
    {
        await PublishAsync(2);
        _time.Advance(TimeSpan.FromDays(8));
        var retention = CreateRetention();
        await retention.StartAsync(CancellationToken.None);
        await WaitForCountAsync(0);

        await PublishAsync(3);
        _time.Advance(TimeSpan.FromDays(8));
        await WaitForCountAsync(0);

        await retention.StopAsync(CancellationToken.None);
    }

    private EventRetention CreateRetention() =>
        new(_db.Store, new FixedOptionsMonitor<EventBusOptions>(_options), _time, new StartedLifetime(), NullLogger<EventRetention>.Instance);

    private async Task<List<long>> PublishAsync(int count)
    {
        var sequences = new List<long>();
        for (var i = 0; i < count; i++)
        {
            sequences.Add((await _bus.PublishAsync(EventFixtures.FileChanged("abcdefghijkl", i))).Sequence);
        }
        return sequences;
    }

    private async Task WaitForCountAsync(int count)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(10); DateTime.UtcNow < deadline; await Task.Delay(20))
        {
            if ((await _db.SequencesAsync()).Count == count)
            {
                return;
            }
        }
        Assert.Fail($"Expected {count} events, still {(await _db.SequencesAsync()).Count}.");
    }
}

/// <summary>The same tests on a real PostgreSQL 15.</summary>
public sealed class EventRetentionOnPostgreSqlTests : EventRetentionTests
{
    protected override bool OnPostgres => true;
}
