using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;

namespace LivePreview.Terminals;

/// <summary>
/// One client on a terminal. Binary messages are raw bytes both ways; text messages are JSON control:
/// <c>{"type":"resize","cols":C,"rows":R}</c> from the client, <c>{"type":"exit","code":N}</c> from the server when the
/// shell is gone. One loop sends (recent output first, then live output), one receives; each message in is bounded.
/// </summary>
internal sealed class TerminalSocket(WebSocket socket, TerminalSession session, TerminalOptions options, ILogger logger)
{
    public const int MaxColumns = 1000, MaxRows = 1000;

    private const int SendChunkBytes = 64 * 1024;

    private readonly CancellationTokenSource _stop = new();
    private (WebSocketCloseStatus Status, string Description)? _refusal;

    public async Task RunAsync()
    {
        var (recent, output) = session.Attach(out var client);
        try
        {
            var receiving = Task.Run(ReceiveAsync);
            var sending = SendAsync(recent, output);
            await Task.WhenAny(receiving, sending);
            await _stop.CancelAsync();
            var exit = await sending;
            await CloseAsync(exit);
            await FinishAsync(receiving);
        }
        finally
        {
            session.Detach(client);
            _stop.Dispose();
        }
    }

    /// <summary>Returns the exit code when the shell ended, null when the client left, was refused or cut off.</summary>
    private async Task<int?> SendAsync(byte[] recent, ChannelReader<byte[]> output)
    {
        try
        {
            for (var offset = 0; offset < recent.Length; offset += SendChunkBytes)
            {
                await SendAsync(recent.AsMemory(offset, Math.Min(SendChunkBytes, recent.Length - offset)), WebSocketMessageType.Binary);
            }
            await foreach (var chunk in output.ReadAllAsync(_stop.Token))
            {
                await SendAsync(chunk, WebSocketMessageType.Binary);
            }
            return await session.Closed;
        }
        catch (TerminalClientTooSlowException)
        {
            Refuse(WebSocketCloseStatus.PolicyViolation, "Too far behind the terminal's output; reconnect to get the recent screen.");
            return null;
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            return null;
        }
    }

    private async Task SendAsync(ReadOnlyMemory<byte> message, WebSocketMessageType type)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(options.SendTimeout);
        await socket.SendAsync(message, type, endOfMessage: true, timeout.Token);
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[options.MaxInputMessageBytes];
        try
        {
            while (true)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == buffer.Length)
                    {
                        Refuse(WebSocketCloseStatus.MessageTooBig, $"Messages are at most {options.MaxInputMessageBytes} bytes; send a long paste in parts.");
                        return;
                    }
                    // Never cancelled: a cancelled receive aborts the socket, and the close handshake still needs it.
                    result = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                    length += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    await session.WriteAsync(buffer.AsMemory(0, length), CancellationToken.None);
                }
                else if (Control(buffer.AsSpan(0, length)) is { } problem)
                {
                    Refuse(WebSocketCloseStatus.InvalidPayloadData, problem);
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Applies a control message; returns what is wrong with it, or null.</summary>
    private string? Control(ReadOnlySpan<byte> message)
    {
        const string Expected = "Text messages are JSON control messages: {\"type\":\"resize\",\"cols\":C,\"rows\":R}";
        try
        {
            using var json = JsonDocument.Parse(message.ToArray());
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                return Expected + ".";
            }
            if (type.GetString() != "resize")
            {
                return $"Unknown control message type '{type.GetString()}'. {Expected}.";
            }
            if (!root.TryGetProperty("cols", out var cols) || !cols.TryGetInt32(out var columns) || columns is < 1 or > MaxColumns
                || !root.TryGetProperty("rows", out var rowsValue) || !rowsValue.TryGetInt32(out var rows) || rows is < 1 or > MaxRows)
            {
                return $"A resize needs whole numbers cols 1-{MaxColumns} and rows 1-{MaxRows}.";
            }
            session.Resize(columns, rows);
            return null;
        }
        catch (JsonException)
        {
            return Expected + "; this one is not JSON.";
        }
    }

    private void Refuse(WebSocketCloseStatus status, string description)
    {
        _refusal ??= (status, description);
        TerminalLog.ClientRefused(logger, session.SandboxId, session.Name, description);
    }

    private async Task CloseAsync(int? exit)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }
        using var timeout = new CancellationTokenSource(options.SendTimeout);
        try
        {
            if (exit is { } code && _refusal is null)
            {
                var message = JsonSerializer.SerializeToUtf8Bytes(new { type = "exit", code });
                await socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "The shell exited.", timeout.Token);
            }
            else if (_refusal is { } refusal)
            {
                await socket.CloseOutputAsync(refusal.Status, refusal.Description.Length > 120 ? refusal.Description[..120] : refusal.Description, timeout.Token);
            }
            else
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            socket.Abort();
        }
    }

    /// <summary>After our close, the client has the send timeout to answer; the receive loop then ends by itself or with the abort.</summary>
    private async Task FinishAsync(Task receiving)
    {
        try
        {
            await receiving.WaitAsync(options.SendTimeout);
        }
        catch (TimeoutException)
        {
            socket.Abort();
            await receiving;
        }
    }
}
