using System.Threading.Channels;
using LivePreview.Events;
using LivePreview.Ui.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace LivePreview.Tests.Ui;

public sealed class LiveEventsTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private readonly ScriptedEventBus _bus = new();
    private readonly FakeTimeProvider _time = new();
    private readonly Channel<long> _handled = Channel.CreateUnbounded<long>();
    private readonly Channel<int> _polls = Channel.CreateUnbounded<int>();
    private int _pollCount;

    [Fact]
    public async Task Live_events_the_replay_already_read_are_skipped_and_newer_ones_handed_over()
    {
        var replayed = new TaskCompletionSource();
        await using var live = Start(async _ =>
        {
            // Published after the subscription and before the replay finished: buffered, then filtered by sequence.
            _bus.Deliver(1);
            _bus.Deliver(2);
            _bus.Deliver(3);
            replayed.SetResult();
            return await Task.FromResult(2L);
        });
        await replayed.Task;
        _bus.Deliver(4);

        Assert.Equal(3, await NextHandledAsync());
        Assert.Equal(4, await NextHandledAsync());
        Assert.False(live.IsPolling);
    }

    [Fact]
    public async Task When_the_bus_ends_the_stream_the_page_is_polled_at_the_interval()
    {
        await using var live = Start();
        _bus.End(new SlowSubscriberException());

        Assert.Equal(1, await NextPollAsync());
        Assert.True(live.IsPolling);
        _time.Advance(Interval);
        Assert.Equal(2, await NextPollAsync());
    }

    [Fact]
    public async Task A_failing_poll_is_tried_again_at_the_next_interval()
    {
        await using var live = LiveEvents.Start(_bus, EventFilter.All, new LiveEventHandlers(
            _ => Task.CompletedTask,
            _ =>
            {
                _polls.Writer.TryWrite(++_pollCount);
                return _pollCount == 1 ? throw new IOException("database busy") : Task.CompletedTask;
            },
            Interval), _time, NullLogger.Instance);
        _bus.End();

        Assert.Equal(1, await NextPollAsync());
        _time.Advance(Interval);
        Assert.Equal(2, await NextPollAsync());
    }

    [Fact]
    public async Task Disposing_stops_the_polling()
    {
        var live = Start();
        _bus.End();
        Assert.Equal(1, await NextPollAsync());

        await live.DisposeAsync();
        _time.Advance(Interval * 3);

        Assert.False(_polls.Reader.TryRead(out _));
    }

    private LiveEvents Start(Func<CancellationToken, Task<long>>? replay = null) =>
        LiveEvents.Start(_bus, EventFilter.All, new LiveEventHandlers(
            e => { _handled.Writer.TryWrite(e.Sequence); return Task.CompletedTask; },
            _ => { _polls.Writer.TryWrite(++_pollCount); return Task.CompletedTask; },
            Interval,
            replay), _time, NullLogger.Instance);

    private async Task<long> NextHandledAsync() => await _handled.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    private async Task<int> NextPollAsync() => await _polls.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
}
