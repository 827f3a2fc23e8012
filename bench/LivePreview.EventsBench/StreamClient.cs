using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;

namespace LivePreview.EventsBench;

/// <summary>One WebSocket client that records, for every event it gets, the time since it was published.</summary>
internal sealed class StreamClient(ClientWebSocket socket) : IDisposable
{
    private readonly List<double> _latenciesMs = [];
    private readonly List<double> _sinceStampMs = [];

    /// <summary>From before the publisher called PublishAsync (waiting for the bus's write lock included) to receipt.</summary>
    public IReadOnlyList<double> LatenciesMs => _latenciesMs;

    /// <summary>From the bus's timestamp (taken under its write lock, before the insert) to receipt: persist + deliver.</summary>
    public IReadOnlyList<double> SinceStampMs => _sinceStampMs;

    public int Received { get; private set; }

    public long LastReceivedAt { get; private set; }

    public WebSocketCloseStatus? CloseStatus => socket.CloseStatus;

    public static async Task<StreamClient> ConnectAsync(int port, string key, string query)
    {
        var socket = new ClientWebSocket();
        socket.Options.Proxy = null;
        socket.Options.SetRequestHeader("Authorization", $"Bearer {key}");
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/api/v1/events/ws?{query}"), CancellationToken.None);
        return new StreamClient(socket);
    }

    /// <summary>Reads until the socket closes or the token ends the run.</summary>
    public async Task ReadAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        var length = 0;
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
                length += result.Count;
                if (result.EndOfMessage)
                {
                    Record(buffer.AsMemory(0, length));
                    length = 0;
                }
                else if (length == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Payloads carry the publisher's <see cref="Stopwatch"/> timestamp: same process, same clock.</summary>
    private void Record(ReadOnlyMemory<byte> message)
    {
        var now = Stopwatch.GetTimestamp();
        var utcNow = DateTimeOffset.UtcNow;
        using var json = JsonDocument.Parse(message);
        if (!json.RootElement.TryGetProperty("payload", out var payload) || payload.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        var sentAt = payload.GetProperty("sent_at").GetInt64();
        Received++;
        LastReceivedAt = now;
        if (payload.GetProperty("measured").GetBoolean())
        {
            _latenciesMs.Add(Stopwatch.GetElapsedTime(sentAt, now).TotalMilliseconds);
            _sinceStampMs.Add((utcNow - json.RootElement.GetProperty("timestamp").GetDateTimeOffset()).TotalMilliseconds);
        }
    }

    public void Dispose() => socket.Dispose();
}
