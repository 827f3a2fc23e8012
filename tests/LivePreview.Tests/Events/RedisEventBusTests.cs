using System.Text.Json;
using LivePreview.Events;
using LivePreview.Tests.Support;
using StackExchange.Redis;

namespace LivePreview.Tests.Events;

/// <summary>
/// Two service instances sharing one database and one real Redis: events published on either reach WebSocket clients
/// on both, in sequence order, each once, and a client resumes with its cursor on either instance; a Redis restart
/// loses nothing, a forged signal delivers nothing, and without Redis the periodic look still delivers.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class RedisEventBusTests : IAsyncLifetime
{
    private static readonly string SharedAdminKey = "lpk_redis-test-" + Guid.NewGuid().ToString("N");
    private readonly string _shared = Directory.CreateTempSubdirectory("lp-redis-db-").FullName;
    private readonly string _sandboxId = LivePreview.Sandboxes.SandboxId.New();
    private RedisServer _redis = null!;
    private LivePreviewHost? _a;
    private LivePreviewHost? _b;

    private LivePreviewHost A => _a!;

    private LivePreviewHost B => _b!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_a is not null)
        {
            await _a.DisposeAsync();
        }
        if (_b is not null)
        {
            await _b.DisposeAsync();
        }
        await _redis.DisposeAsync();
        Directory.Delete(_shared, recursive: true);
    }

    [Fact]
    public async Task Events_from_both_instances_reach_clients_on_both_in_order_without_gaps_or_duplicates_and_resume_on_either()
    {
        // A periodic look of ten minutes: whatever arrives within the test came through Redis.
        await StartInstancesAsync(TimeSpan.FromMinutes(10));
        await using var onB = await EventStreamClient.ConnectAsync(B, $"after=0&sandbox_id={_sandboxId}");
        await using var onA = await EventStreamClient.ConnectAsync(A, $"after=0&sandbox_id={_sandboxId}");

        // Four publishers on each instance at once, so commits of the two interleave.
        var published = (await Task.WhenAll(Enumerable.Range(0, 8).Select(p => PublishManyAsync(p % 2 == 0 ? A : B, p, 25))))
            .SelectMany(s => s).Order().ToList();

        var seenOnB = Sequences(await onB.ReceiveEventsAsync(published.Count));
        var seenOnA = Sequences(await onA.ReceiveEventsAsync(published.Count));
        Assert.Equal(published, seenOnB);
        Assert.Equal(published, seenOnA);

        // A client that read half of it on B goes on from its cursor on A, and the other way round.
        await using var resumedOnA = await EventStreamClient.ConnectAsync(A, $"after={published[99]}&sandbox_id={_sandboxId}");
        Assert.Equal(published[100..], Sequences(await resumedOnA.ReceiveEventsAsync(100)));
        await using var resumedOnB = await EventStreamClient.ConnectAsync(B, $"after={published[149]}&sandbox_id={_sandboxId}");
        Assert.Equal(published[150..], Sequences(await resumedOnB.ReceiveEventsAsync(50)));

        // And live events keep coming on the resumed streams, from the other instance.
        var next = (await A.Service<IEventBus>().PublishAsync(Draft(-1))).Sequence;
        Assert.Equal(next, (await resumedOnB.ReceiveEventAsync()).GetProperty("sequence").GetInt64());
    }

    [Fact]
    public async Task A_burst_stored_in_several_batches_on_one_instance_reaches_the_other_in_order_and_resumes_mid_batch()
    {
        await StartInstancesAsync(TimeSpan.FromMinutes(10), writeBatchSize: 4);
        await using var onB = await EventStreamClient.ConnectAsync(B, $"after=0&sandbox_id={_sandboxId}");

        // Queued at once, so A's writer stores them four to a transaction and signals B once per batch.
        var bus = A.Service<IEventBus>();
        var published = (await Task.WhenAll(Enumerable.Range(0, 30).Select(i => bus.PublishAsync(Draft(i))))).Select(e => e.Sequence).ToList();
        Assert.Equal(published.Order(), published);
        Assert.Equal(published[0] + 29, published[^1]);

        Assert.Equal(published, Sequences(await onB.ReceiveEventsAsync(published.Count)));
        // A cursor inside a batch (the second event of the fourth): the rest of that batch, then the later ones.
        await using var resumedOnB = await EventStreamClient.ConnectAsync(B, $"after={published[13]}&sandbox_id={_sandboxId}");
        Assert.Equal(published[14..], Sequences(await resumedOnB.ReceiveEventsAsync(published.Count - 14)));
    }

    [Fact]
    public async Task A_redis_restart_loses_no_event()
    {
        await StartInstancesAsync(TimeSpan.FromMinutes(10));
        await using var onB = await EventStreamClient.ConnectAsync(B, $"after=0&sandbox_id={_sandboxId}");
        var received = Collect(onB);
        List<long> published = [(await A.Service<IEventBus>().PublishAsync(Draft(0))).Sequence];
        Assert.Equal(published[0], await NextAsync(received, TimeSpan.FromSeconds(10)));

        await _redis.StopAsync();
        published.AddRange(await PublishManyAsync(A, 1, 5));
        await _redis.StartAgainAsync();

        // Once A's client has reconnected, its next signal makes B read everything it missed, in order.
        List<long> seen = [];
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (seen.Count < published.Count - 1 && DateTime.UtcNow < deadline)
        {
            if (await NextAsync(received, TimeSpan.FromSeconds(2)) is { } sequence)
            {
                seen.Add(sequence);
            }
            else
            {
                published.Add((await A.Service<IEventBus>().PublishAsync(Draft(published.Count))).Sequence);
            }
        }
        Assert.Equal(published[1..], seen);
    }

    [Fact]
    public async Task A_forged_signal_delivers_nothing_and_without_redis_the_periodic_look_still_delivers()
    {
        await StartInstancesAsync(TimeSpan.FromSeconds(1));
        await using var onB = await EventStreamClient.ConnectAsync(B, $"after=0&sandbox_id={_sandboxId}");
        var received = Collect(onB);
        var first = (await A.Service<IEventBus>().PublishAsync(Draft(0))).Sequence;
        Assert.Equal(first, await NextAsync(received, TimeSpan.FromSeconds(10)));

        // Anyone who can reach Redis can publish on the channel: numbers far ahead and junk. Nothing that is not stored is delivered.
        await using (var forger = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString))
        {
            var channel = RedisChannel.Literal(new EventBusOptions().RedisChannel);
            foreach (var forged in new RedisValue[] { first + 1, first + 1_000_000, "-5", "{\"sequence\":7,\"type\":\"SANDBOX_DELETED\"}", "" })
            {
                await forger.GetSubscriber().PublishAsync(channel, forged);
            }
        }
        Assert.Null(await NextAsync(received, TimeSpan.FromSeconds(3)));

        await _redis.StopAsync();
        var during = await PublishManyAsync(A, 1, 3);
        List<long?> seen = [];
        for (var i = 0; i < during.Count; i++)
        {
            seen.Add(await NextAsync(received, TimeSpan.FromSeconds(30)));
        }
        Assert.Equal(during.Select(s => (long?)s), seen);
    }

    /// <summary>Reads the stream's event sequences in the background (a timed-out receive would abort the socket).</summary>
    private static System.Threading.Channels.ChannelReader<long> Collect(EventStreamClient client)
    {
        var channel = System.Threading.Channels.Channel.CreateUnbounded<long>();
        _ = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var e = await client.ReceiveEventAsync(TimeSpan.FromMinutes(5));
                    await channel.Writer.WriteAsync(e.GetProperty("sequence").GetInt64());
                }
            }
            catch (Exception ex)
            {
                channel.Writer.TryComplete(ex);
            }
        });
        return channel.Reader;
    }

    /// <summary>The next sequence received within <paramref name="wait"/>, null when none came.</summary>
    private static async Task<long?> NextAsync(System.Threading.Channels.ChannelReader<long> received, TimeSpan wait)
    {
        using var timeout = new CancellationTokenSource(wait);
        try
        {
            return await received.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return null;
        }
    }

    private async Task StartInstancesAsync(TimeSpan pollInterval, int writeBatchSize = 256)
    {
        _a = await LivePreviewHost.StartAsync(Settings(pollInterval, writeBatchSize));
        _b = await LivePreviewHost.StartAsync(Settings(pollInterval, writeBatchSize));
    }

    private Dictionary<string, string?> Settings(TimeSpan pollInterval, int writeBatchSize = 256) => new()
    {
        ["LivePreview:Events:WriteBatchSize"] = writeBatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["LivePreview:Database:ConnectionString"] = $"Data Source={Path.Join(_shared, "livepreview.db")}",
        ["ConnectionStrings:Redis"] = _redis.ConnectionString,
        ["LivePreview:Events:RedisPollInterval"] = pollInterval.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        ["LivePreview:Auth:BootstrapKey"] = SharedAdminKey,
    };

    private EventDraft Draft(int n) => new("TEST_EVENT", "sandbox", _sandboxId, _sandboxId, new { n });

    private async Task<List<long>> PublishManyAsync(LivePreviewHost host, int publisher, int count)
    {
        var bus = host.Service<IEventBus>();
        List<long> sequences = [];
        for (var i = 0; i < count; i++)
        {
            sequences.Add((await bus.PublishAsync(Draft(publisher * 1000 + i))).Sequence);
        }
        return sequences;
    }

    private static List<long> Sequences(IEnumerable<JsonElement> events) => [.. events.Select(e => e.GetProperty("sequence").GetInt64())];
}
