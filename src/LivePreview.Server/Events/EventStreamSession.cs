using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using LivePreview.Hosting;

namespace LivePreview.Events;

/// <summary>
/// One client of <c>GET /api/v1/events/ws</c>. Subscribes to the bus first (live events buffer meanwhile),
/// replays stored events after the cursor, then forwards live ones, skipping those at or below the last
/// one sent: no gap and no duplicate at the seam. Every close the server starts says where to resume.
/// </summary>
internal sealed partial class EventStreamSession(EventSocket socket, IEventBus bus, EventStore store, EventBusOptions options, TimeProvider time, ILogger logger)
{
    /// <summary>The client fell behind the live stream by more than its buffer (4000-4999 are private-use codes).</summary>
    public const WebSocketCloseStatus TooSlow = (WebSocketCloseStatus)4008;

    /// <summary>Close descriptions read <c>resume_after=&lt;last sequence sent&gt;</c>: the <c>after</c> to reconnect with.</summary>
    public const string ResumePrefix = "resume_after=";

    private readonly CancellationTokenSource _session = new();
    private long _cursor;

    public async Task RunAsync(EventQuery query, CancellationToken stopping)
    {
        _cursor = query.After;
        using (_session)
        using (stopping.Register(_session.Cancel))
        {
            var receiving = ReceiveThenEndSessionAsync();
            if (await StreamAsync(query.Filter, stopping) is { } status)
            {
                await socket.TryCloseAsync(status, ResumePrefix + _cursor.ToString(CultureInfo.InvariantCulture));
            }
            await socket.FinishAsync(receiving);
            // Also ends a bus subscription that was never enumerated (the replay failed).
            await _session.CancelAsync();
        }
    }

    /// <summary>Streams until something ends it; returns the close status to send, or null when the socket is gone.</summary>
    private async Task<WebSocketCloseStatus?> StreamAsync(EventFilter filter, CancellationToken stopping)
    {
        try
        {
            var live = bus.SubscribeAsync(filter, _session.Token);
            await ReplayAsync(filter);
            await ForwardAsync(live);
            return WebSocketCloseStatus.EndpointUnavailable;
        }
        catch (SlowSubscriberException)
        {
            LogTooSlow(logger, _cursor);
            return TooSlow;
        }
        catch (OperationCanceledException) when (_session.IsCancellationRequested)
        {
            return stopping.IsCancellationRequested ? WebSocketCloseStatus.EndpointUnavailable : WebSocketCloseStatus.NormalClosure;
        }
        catch (Exception e) when (e is WebSocketException or TimeoutException)
        {
            LogSendFailed(logger, e, _cursor);
            return null;
        }
        catch (Exception e)
        {
            LogFailed(logger, e, _cursor);
            return WebSocketCloseStatus.InternalServerError;
        }
    }

    private async Task ReplayAsync(EventFilter filter)
    {
        IReadOnlyList<LivePreviewEvent> page;
        do
        {
            page = await store.ReadAfterAsync(_cursor, filter, options.ReplayPageSize, _session.Token);
            foreach (var e in page)
            {
                await SendAsync(e);
            }
        }
        while (page.Count == options.ReplayPageSize);
    }

    private async Task ForwardAsync(IAsyncEnumerable<LivePreviewEvent> live)
    {
        var events = live.GetAsyncEnumerator();
        Task<bool> next = Task.FromResult(false);
        try
        {
            while (true)
            {
                next = events.MoveNextAsync().AsTask();
                await WaitSendingHeartbeatsAsync(next);
                if (!await next)
                {
                    return;
                }
                if (events.Current.Sequence > _cursor)
                {
                    await SendAsync(events.Current);
                }
            }
        }
        finally
        {
            // An async iterator cannot be disposed while a read is pending: end the session so the read ends.
            await _session.CancelAsync();
            await ((Task)next).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await events.DisposeAsync();
        }
    }

    private async Task WaitSendingHeartbeatsAsync(Task next)
    {
        while (true)
        {
            try
            {
                await next.WaitAsync(options.HeartbeatInterval, time);
                return;
            }
            catch (TimeoutException) when (!next.IsCompleted)
            {
                await socket.SendAsync(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{{\"type\":\"HEARTBEAT\",\"sequence\":{_cursor}}}")));
            }
        }
    }

    private async Task SendAsync(LivePreviewEvent e)
    {
        await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(e, JsonDefaults.Options));
        _cursor = e.Sequence;
    }

    private async Task ReceiveThenEndSessionAsync()
    {
        await socket.ReceiveUntilClosedAsync();
        await _session.CancelAsync();
    }

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Closed a slow event stream; it resumes after sequence {Sequence}")]
    private static partial void LogTooSlow(ILogger logger, long sequence);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Dropped an event stream that stopped reading, after sequence {Sequence}")]
    private static partial void LogSendFailed(ILogger logger, Exception ex, long sequence);

    [LoggerMessage(EventId = 103, Level = LogLevel.Error, Message = "Event stream failed after sequence {Sequence}")]
    private static partial void LogFailed(ILogger logger, Exception ex, long sequence);
}
