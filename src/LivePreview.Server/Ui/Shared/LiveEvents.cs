using LivePreview.Events;

namespace LivePreview.Ui.Shared;

/// <summary>
/// A page's live view of the event bus. It subscribes first, then lets the page replay what is stored
/// (returning the last sequence it read), then hands over each newer live event, so nothing falls in
/// the gap and nothing shows twice. If the bus ends the stream (a slow reader, a failure), the page is
/// not left frozen: it is polled every <see cref="UiOptions.PollInterval"/> until it goes away.
/// </summary>
internal sealed partial class LiveEvents : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _run = Task.CompletedTask;

    private LiveEvents()
    {
    }

    /// <summary>True once the live stream has ended and the page is being polled instead.</summary>
    public bool IsPolling { get; private set; }

    public static LiveEvents Start(IEventBus bus, EventFilter filter, LiveEventHandlers handlers, TimeProvider time, ILogger logger)
    {
        var live = new LiveEvents();
        live._run = live.RunAsync(bus, filter, handlers, time, logger, live._stop.Token);
        return live;
    }

    private async Task RunAsync(IEventBus bus, EventFilter filter, LiveEventHandlers handlers, TimeProvider time, ILogger logger, CancellationToken ct)
    {
        await Task.Yield();
        try
        {
            // The bus registers the subscriber before SubscribeAsync returns: events published while the
            // replay reads the store are buffered, and the cursor drops the ones the replay already saw.
            var stream = bus.SubscribeAsync(filter, ct);
            var cursor = handlers.Replay is null ? 0 : await handlers.Replay(ct);
            await foreach (var e in stream.WithCancellation(ct))
            {
                if (e.Sequence > cursor)
                {
                    await handlers.OnEvent(e);
                }
            }
            LogStreamEnded(logger, filter.SandboxId, null);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            LogStreamEnded(logger, filter.SandboxId, ex);
        }
        await PollAsync(handlers.Poll, handlers.PollInterval, time, logger, ct);
    }

    private async Task PollAsync(Func<CancellationToken, Task> poll, TimeSpan interval, TimeProvider time, ILogger logger, CancellationToken ct)
    {
        IsPolling = true;
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            do
            {
                try
                {
                    await poll(ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogPollFailed(logger, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _run;
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 900, Level = LogLevel.Warning, Message = "Live updates of the dashboard (sandbox {SandboxId}) ended; polling instead")]
    private static partial void LogStreamEnded(ILogger logger, string? sandboxId, Exception? ex);

    [LoggerMessage(EventId = 901, Level = LogLevel.Warning, Message = "Polling the dashboard's state failed; trying again at the next interval")]
    private static partial void LogPollFailed(ILogger logger, Exception ex);
}

/// <summary>What a page does with live events.</summary>
/// <param name="OnEvent">Applies one live event (the page marshals to its renderer itself).</param>
/// <param name="Poll">Re-reads the page's state; called periodically once the live stream has ended.</param>
/// <param name="PollInterval">Interval between polls.</param>
/// <param name="Replay">
/// Runs once the subscription is in place: loads stored events, or re-reads the page's state. Returns the
/// last sequence it covered; live events up to it are skipped (0 lets every one through).
/// </param>
internal sealed record LiveEventHandlers(
    Func<LivePreviewEvent, Task> OnEvent,
    Func<CancellationToken, Task> Poll,
    TimeSpan PollInterval,
    Func<CancellationToken, Task<long>>? Replay = null);
