using System.Net;
using System.Net.WebSockets;
using LivePreview.Events;
using LivePreview.Tests.Hosting;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Events;

[Collection(ServiceCollection.Name)]
public sealed class EventStreamTests : IAsyncLifetime
{
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync() => _host = await EventFixtures.StartHostAsync(new Dictionary<string, string?>
    {
        ["LivePreview:Events:HeartbeatInterval"] = "00:00:00.300",
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private IEventBus Bus => _host.Service<IEventBus>();

    [Fact]
    public async Task A_stream_filtered_by_types_gets_only_those_types_of_its_sandbox()
    {
        var (mine, other) = (EventFixtures.NewSandboxId(), EventFixtures.NewSandboxId());
        await using var client = await EventStreamClient.ConnectAsync(_host, $"sandbox_id={mine}&types=file_deleted,PREVIEW_READY");

        await Bus.PublishAsync(new EventDraft(EventTypes.FileChanged, EntityTypes.File, "a.ts", mine));
        var deleted = await Bus.PublishAsync(new EventDraft(EventTypes.FileDeleted, EntityTypes.File, "a.ts", mine));
        await Bus.PublishAsync(new EventDraft(EventTypes.FileDeleted, EntityTypes.File, "a.ts", other));
        var ready = await Bus.PublishAsync(new EventDraft(EventTypes.PreviewReady, EntityTypes.Preview, "pv1", mine));

        var received = await client.ReceiveEventsAsync(2);
        Assert.Equal([deleted.Sequence, ready.Sequence], received.Select(e => e.Sequence()));
    }

    [Fact]
    public async Task A_stream_filtered_by_entity_gets_only_that_entity_from_the_store_and_live()
    {
        var sandbox = EventFixtures.NewSandboxId();
        var stored = await Bus.PublishAsync(new EventDraft(EventTypes.PreviewStarting, EntityTypes.Preview, "pv1", sandbox));
        await Bus.PublishAsync(new EventDraft(EventTypes.PreviewStarting, EntityTypes.Preview, "pv2", sandbox));
        await Bus.PublishAsync(new EventDraft(EventTypes.FileChanged, EntityTypes.File, "pv1", sandbox));
        await using var client = await EventStreamClient.ConnectAsync(_host, "entity_type=preview&entity_id=pv1");

        var live = await Bus.PublishAsync(new EventDraft(EventTypes.PreviewReady, EntityTypes.Preview, "pv1", sandbox, new { port = 5173 }));

        var received = await client.ReceiveEventsAsync(2);
        Assert.Equal([stored.Sequence, live.Sequence], received.Select(e => e.Sequence()));
        Assert.Equal(5173, received[1].GetProperty("payload").GetProperty("port").GetInt32());
    }

    [Fact]
    public async Task Events_arrive_as_snake_case_json_with_every_field()
    {
        var sandbox = EventFixtures.NewSandboxId();
        await using var client = await EventStreamClient.ConnectAsync(_host, $"sandbox_id={sandbox}");
        await Bus.PublishAsync(new EventDraft(EventTypes.FileChanged, EntityTypes.File, "src/App.tsx", sandbox, new { SizeBytes = 12 }));

        var e = await client.ReceiveEventAsync();

        Assert.Equal(["sequence", "type", "entity_type", "entity_id", "sandbox_id", "timestamp", "payload"], e.EnumerateObject().Select(p => p.Name));
        Assert.Equal("FILE_CHANGED", e.GetProperty("type").GetString());
        Assert.Equal(12, e.GetProperty("payload").GetProperty("size_bytes").GetInt32());
    }

    [Fact]
    public async Task An_idle_stream_gets_heartbeats_that_carry_the_last_sequence_sent()
    {
        var sandbox = EventFixtures.NewSandboxId();
        var earlier = await Bus.PublishAsync(new EventDraft(EventTypes.FileChanged, EntityTypes.File, "a.ts", EventFixtures.NewSandboxId()));
        await using var client = await EventStreamClient.ConnectAsync(_host, $"sandbox_id={sandbox}&after={earlier.Sequence}");

        var first = await client.ReceiveAsync(TimeSpan.FromSeconds(5));
        var e = await Bus.PublishAsync(new EventDraft(EventTypes.FileChanged, EntityTypes.File, "a.ts", sandbox));
        Assert.Equal(e.Sequence, (await client.ReceiveEventAsync()).Sequence());
        var next = await client.ReceiveAsync(TimeSpan.FromSeconds(5));

        Assert.Equal($"{{\"type\":\"HEARTBEAT\",\"sequence\":{earlier.Sequence}}}", first.ToString());
        Assert.Equal($"{{\"type\":\"HEARTBEAT\",\"sequence\":{e.Sequence}}}", next.ToString());
    }

    [Fact]
    public async Task A_plain_http_request_to_the_stream_is_a_400_that_says_to_use_a_websocket()
    {
        var problem = await ApiValidationTests.ProblemAsync(await _host.Http.GetAsync("api/v1/events/ws"), 400);
        Assert.Contains("WebSocket", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("after=abc")]
    [InlineData("after=-1")]
    [InlineData("types=FILE_CHANGED,NOT_A_TYPE")]
    [InlineData("entity_type=dog")]
    [InlineData("sandbox_id=Not-An-Id")]
    [InlineData("sandbox=abcdefghijkl")]
    [InlineData("limit=10")]
    public async Task A_bad_query_is_refused_with_a_400_before_the_upgrade(string query)
    {
        using var socket = new ClientWebSocket();
        socket.Options.Proxy = null;
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Authorization", $"Bearer {_host.AdminKey}");

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(new Uri($"ws://127.0.0.1:{_host.Port}/api/v1/events/ws?{query}"), CancellationToken.None));

        Assert.Equal(HttpStatusCode.BadRequest, socket.HttpStatusCode);
    }

    [Fact]
    public async Task Stopping_the_server_closes_streams_with_going_away_and_the_resume_cursor()
    {
        var sandbox = EventFixtures.NewSandboxId();
        await using var client = await EventStreamClient.ConnectAsync(_host, $"sandbox_id={sandbox}");
        var e = await Bus.PublishAsync(new EventDraft(EventTypes.FileChanged, EntityTypes.File, "a.ts", sandbox));
        await client.ReceiveEventAsync();

        var stopping = _host.App.StopAsync();
        await client.ReceiveUntilClosedAsync();
        await stopping;

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, client.CloseStatus);
        Assert.Equal($"resume_after={e.Sequence}", client.CloseDescription);
    }
}
