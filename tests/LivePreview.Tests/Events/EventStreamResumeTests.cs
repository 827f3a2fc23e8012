using System.Text.Json;
using LivePreview.Events;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Events;

[Collection(ServiceCollection.Name)]
public sealed class EventStreamResumeTests : IAsyncLifetime
{
    private const int EventCount = 1000;
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync() => _host = await EventFixtures.StartHostAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_client_that_keeps_reconnecting_with_its_cursor_gets_every_event_of_its_sandbox_exactly_once_and_in_order()
    {
        string[] sandboxes = [EventFixtures.NewSandboxId(), EventFixtures.NewSandboxId(), EventFixtures.NewSandboxId(), EventFixtures.NewSandboxId()];
        var publishing = Task.Run(() => PublishSpreadAsync(sandboxes));
        var received = new List<JsonElement>();
        var random = new Random(7);
        var reconnects = 0;
        IReadOnlyList<LivePreviewEvent>? expected = null;

        while (true)
        {
            var after = received.Count == 0 ? 0 : received[^1].Sequence();
            await using var client = await EventStreamClient.ConnectAsync(_host, $"sandbox_id={sandboxes[0]}&after={after}");
            for (var budget = random.Next(20, 90); budget > 0; budget--)
            {
                expected ??= publishing.IsCompleted ? await StoredEventsAsync(publishing, sandboxes[0]) : null;
                if (received.Count == expected?.Count)
                {
                    break;
                }
                received.Add(await client.ReceiveEventAsync());
            }
            await DisconnectAsync(client, random);
            if (received.Count == expected?.Count)
            {
                break;
            }
            reconnects++;
        }

        Assert.NotNull(expected);
        Assert.Equal(expected.Select(e => e.Sequence), received.Select(e => e.Sequence()));
        Assert.All(received, e => Assert.Equal(sandboxes[0], e.SandboxIdOf()));
        Assert.True(reconnects >= 6, $"Only {reconnects} reconnects.");
    }

    private async Task<IReadOnlyList<LivePreviewEvent>> StoredEventsAsync(Task publishing, string sandboxId)
    {
        await publishing;
        return await _host.Service<EventStore>().ReadAfterAsync(0, new EventFilter(sandboxId), EventCount, CancellationToken.None);
    }

    /// <summary>About two in five events are for the watched sandbox; small pauses let reconnects land mid-stream.</summary>
    private async Task PublishSpreadAsync(string[] sandboxes)
    {
        var bus = _host.Service<IEventBus>();
        var random = new Random(11);
        for (var i = 0; i < EventCount; i++)
        {
            var sandbox = random.Next(sandboxes.Length + 1) is var n && n <= 1 ? sandboxes[0] : sandboxes[n - 1];
            await bus.PublishAsync(EventFixtures.FileChanged(sandbox, i));
            if (i % 20 == 0)
            {
                await Task.Delay(random.Next(1, 15));
            }
        }
    }

    /// <summary>Half the time a polite close (the server may still be sending), half the time the connection just drops.</summary>
    private static async Task DisconnectAsync(EventStreamClient client, Random random)
    {
        if (random.Next(2) == 0)
        {
            client.Abort();
            return;
        }
        await client.CloseAsync();
    }
}
