using System.Net.WebSockets;
using System.Text.Json;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Events;

/// <summary>A real <see cref="ClientWebSocket"/> on /api/v1/events/ws that reads whole JSON messages.</summary>
internal sealed class EventStreamClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;

    private EventStreamClient(ClientWebSocket socket) => _socket = socket;

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public string? CloseDescription => _socket.CloseStatusDescription;

    /// <param name="key">The API key to stream with; the host's admin key by default.</param>
    public static async Task<EventStreamClient> ConnectAsync(LivePreviewHost host, string query, string? key = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.Proxy = null;
        socket.Options.SetRequestHeader("Authorization", $"Bearer {key ?? host.AdminKey}");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{host.Port}/api/v1/events/ws?{query}"), timeout.Token);
        return new EventStreamClient(socket);
    }

    /// <summary>The next message, or null when the server closed the stream.</summary>
    public async Task<JsonElement?> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        using var message = new MemoryStream();
        var buffer = new byte[8192];
        ValueWebSocketReceiveResult result;
        do
        {
            result = await _socket.ReceiveAsync(buffer.AsMemory(), cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                return null;
            }
            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);
        return JsonSerializer.Deserialize<JsonElement>(message.ToArray());
    }

    /// <summary>The next event, skipping heartbeats; fails when the stream closes first or nothing but heartbeats come.</summary>
    public async Task<JsonElement> ReceiveEventAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            var message = (left > TimeSpan.Zero ? await ReceiveAsync(left) : throw new TimeoutException("Only heartbeats arrived."))
                ?? throw new InvalidOperationException($"The stream closed: {CloseStatus} {CloseDescription}");
            if (message.GetProperty("type").GetString() != "HEARTBEAT")
            {
                return message;
            }
        }
    }

    public async Task<List<JsonElement>> ReceiveEventsAsync(int count)
    {
        var events = new List<JsonElement>(count);
        while (events.Count < count)
        {
            events.Add(await ReceiveEventAsync());
        }
        return events;
    }

    /// <summary>Events (not heartbeats) until the server closes the stream.</summary>
    public async Task<List<JsonElement>> ReceiveUntilClosedAsync()
    {
        var events = new List<JsonElement>();
        while (await ReceiveAsync() is { } message)
        {
            if (message.GetProperty("type").GetString() != "HEARTBEAT")
            {
                events.Add(message);
            }
        }
        return events;
    }

    public async Task CloseAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
    }

    public void Abort() => _socket.Abort();

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
