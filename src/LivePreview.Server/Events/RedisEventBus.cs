using System.Globalization;
using System.Text.Json;
using LivePreview.Hosting;
using LivePreview.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LivePreview.Events;

/// <summary>
/// The event bus of several instances sharing one database (<c>ConnectionStrings:Redis</c> set). Publishing stores the
/// event exactly as the in-process bus does (the database assigns the sequence), delivers it here through the
/// <see cref="EventSequencer"/>, then publishes its sequence number — nothing else — on the Redis channel
/// <see cref="EventBusOptions.RedisChannel"/>. Every instance listens on that channel and, for each signal, reads what it
/// has not delivered yet from the database, in order, through its sequencer; a periodic look every
/// <see cref="EventBusOptions.RedisPollInterval"/> does the same, so a lost signal (Redis restarting, a network split)
/// delays delivery by at most that interval and loses nothing. Redis never carries an event's content: a forged
/// or replayed message can make an instance read the table early, never deliver something that is not in it.
/// </summary>
internal sealed partial class RedisEventBus(
    IDbContextFactory<LivePreviewDbContext> dbFactory,
    EventStore store,
    IConfiguration configuration,
    IOptions<EventBusOptions> options,
    TimeProvider time,
    ILogger<RedisEventBus> logger) : IEventBus, IHostedService, IAsyncDisposable
{
    private readonly EventSubscribers _subscribers = new(options.Value.SubscriberBufferSize, logger);
    private readonly SemaphoreSlim _signal = new(0, 1);
    private readonly CancellationTokenSource _stopping = new();
    private EventSequencer? _sequencer;
    private ConnectionMultiplexer? _redis;
    private RedisChannel _channel;
    private Task _catchingUp = Task.CompletedTask;
    private long _signalled;
    private int _disposed;

    private EventBatchWriter? _writer;

    private EventSequencer Sequencer => _sequencer ??= new EventSequencer(store, _subscribers, options.Value.ReplayPageSize);

    private EventBatchWriter Writer => LazyInitializer.EnsureInitialized(ref _writer,
        () => new EventBatchWriter(dbFactory, options.Value.WriteBatchSize, DeliverAndSignalAsync, time, logger));

    /// <summary>The last sequence delivered to this instance's subscribers (for tests).</summary>
    internal long Delivered => Sequencer.Delivered;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var connection = ConfigurationOptions.Parse(configuration.GetConnectionString("Redis")!);
        // Start even while Redis is away: the periodic look delivers meanwhile, and the client reconnects by itself.
        connection.AbortOnConnectFail = false;
        connection.ClientName ??= "livepreview";
        _channel = RedisChannel.Literal(options.Value.RedisChannel);
        _redis = await ConnectionMultiplexer.ConnectAsync(connection);
        LogConnecting(logger, string.Join(", ", connection.EndPoints.Select(e => e.ToString())), options.Value.RedisChannel, _redis.IsConnected);
        await _redis.GetSubscriber().SubscribeAsync(_channel, (_, message) => OnSignal(message));
        _catchingUp = Task.Run(() => CatchUpLoopAsync(_stopping.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _catchingUp.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_redis is not null)
        {
            await _redis.CloseAsync();
        }
    }

    /// <summary>Idempotent: the container holds this instance under three registrations.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        if (_writer is not null)
        {
            await _writer.DisposeAsync();
        }
        await _stopping.CancelAsync();
        await _catchingUp.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    /// <summary>Stored and delivered here when it returns; the other instances are signalled once per stored batch.</summary>
    public Task<LivePreviewEvent> PublishAsync(EventDraft draft, CancellationToken cancellationToken = default) => Writer.WriteAsync(draft);

    private async Task DeliverAndSignalAsync(IReadOnlyList<LivePreviewEvent> batch)
    {
        foreach (var e in batch)
        {
            await Sequencer.OfferAsync(e, CancellationToken.None);
        }
        if (batch.Count > 0)
        {
            // After the commit, and without waiting: a signal that is lost is made up for by the other instances' periodic look.
            _redis?.GetSubscriber().Publish(_channel, batch[^1].Sequence, CommandFlags.FireAndForget);
        }
    }

    public IAsyncEnumerable<LivePreviewEvent> SubscribeAsync(EventFilter filter, CancellationToken cancellationToken)
    {
        Sequencer.EnsureStarted();
        return _subscribers.Subscribe(filter, cancellationToken);
    }

    /// <summary>A number, or nothing: anything else on the channel is ignored. Signals are coalesced (the highest wins).</summary>
    private void OnSignal(RedisValue message)
    {
        if (!long.TryParse(message.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) || sequence <= 0)
        {
            return;
        }
        long seen;
        while (sequence > (seen = Interlocked.Read(ref _signalled)) && Interlocked.CompareExchange(ref _signalled, sequence, seen) != seen)
        {
        }
        if (sequence > Sequencer.Delivered && _signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another signal is pending already: one read serves both.
            }
        }
    }

    private async Task CatchUpLoopAsync(CancellationToken stopping)
    {
        var interval = options.Value.RedisPollInterval;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var signalled = await _signal.WaitAsync(interval, stopping);
                await Sequencer.CatchUpAsync(signalled ? Interlocked.Read(ref _signalled) : long.MaxValue, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogCatchUpFailed(logger, ex);
                await Task.Delay(interval, time, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "Event bus: Redis at {Endpoints}, channel {Channel} (connected: {Connected}); the database is the sequence authority")]
    private static partial void LogConnecting(ILogger logger, string endpoints, string channel, bool connected);

    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "Event bus: reading events after a signal failed; retrying")]
    private static partial void LogCatchUpFailed(ILogger logger, Exception ex);
}
