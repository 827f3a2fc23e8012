using System.Text.Json;
using LivePreview.Events;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Events;

[Collection(ServiceCollection.Name)]
public sealed class SlowEventClientTests : IAsyncLifetime
{
    private const int EventCount = 3000;

    /// <summary>4 KiB per event: 12 MB in all, far more than the loopback TCP buffers hold for a client that reads nothing.</summary>
    private static readonly string Padding = new('x', 4096);

    private LivePreviewHost _host = null!;

    public async Task InitializeAsync() => _host = await EventFixtures.StartHostAsync(new Dictionary<string, string?>
    {
        ["LivePreview:Events:SubscriberBufferSize"] = "256",
        ["LivePreview:Events:SendTimeout"] = "00:01:00",
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_client_that_stops_reading_is_closed_with_its_resume_cursor_while_the_publisher_and_a_fast_client_carry_on()
    {
        var sandbox = EventFixtures.NewSandboxId();
        await using var slow = await EventStreamClient.ConnectAsync(_host, $"sandbox_id={sandbox}");
        await using var fast = await EventStreamClient.ConnectAsync(_host, $"sandbox_id={sandbox}");
        var fastReading = Task.Run(() => fast.ReceiveEventsAsync(EventCount));

        await PublishAsync(sandbox).WaitAsync(TimeSpan.FromSeconds(60));
        var fastEvents = await fastReading.WaitAsync(TimeSpan.FromSeconds(60));
        var slowEvents = await slow.ReceiveUntilClosedAsync();

        var expected = await StoredSequencesAsync(sandbox);
        Assert.Equal(expected, fastEvents.Select(e => e.Sequence()));
        Assert.Equal(4008, (int?)slow.CloseStatus);
        Assert.InRange(slowEvents.Count, 1, EventCount - 1);
        Assert.Equal($"resume_after={slowEvents[^1].Sequence()}", slow.CloseDescription);
        await AssertResumesWithTheRestAsync(sandbox, slowEvents, expected);
    }

    private async Task PublishAsync(string sandbox)
    {
        var bus = _host.Service<IEventBus>();
        for (var i = 0; i < EventCount; i++)
        {
            await bus.PublishAsync(EventFixtures.FileChanged(sandbox, i, Padding));
            if (i % 25 == 0)
            {
                // A burst, not a flood: on two shared cores even a fast reader needs a moment now and then.
                await Task.Delay(1);
            }
        }
    }

    private async Task<List<long>> StoredSequencesAsync(string sandbox) =>
        (await _host.Service<EventStore>().ReadAfterAsync(0, new EventFilter(sandbox), EventCount, CancellationToken.None)).Select(e => e.Sequence).ToList();

    private async Task AssertResumesWithTheRestAsync(string sandbox, List<JsonElement> received, List<long> expected)
    {
        var cursor = received[^1].Sequence();
        await using var resumed = await EventStreamClient.ConnectAsync(_host, $"sandbox_id={sandbox}&after={cursor}");
        var rest = await resumed.ReceiveEventsAsync(EventCount - received.Count);
        Assert.Equal(expected, received.Concat(rest).Select(e => e.Sequence()));
    }
}
