using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Terminals;

/// <summary>A real <see cref="ClientWebSocket"/> on a sandbox's terminal: raw bytes in and out, JSON control messages, everything received kept.</summary>
internal sealed class TerminalClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly MemoryStream _output = new();
    private readonly List<JsonElement> _controls = [];

    private TerminalClient(ClientWebSocket socket) => _socket = socket;

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    /// <summary>Every output byte received so far, as text (escape sequences included).</summary>
    public string Output => Encoding.UTF8.GetString(_output.ToArray());

    public static Uri Address(LivePreviewHost host, string sandboxId, string query = "") =>
        new($"ws://127.0.0.1:{host.Port}/api/v1/sandboxes/{sandboxId}/terminal{(query.Length > 0 ? "?" + query : "")}");

    public static async Task<TerminalClient> ConnectAsync(LivePreviewHost host, string sandboxId, string query = "", string? key = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.Proxy = null;
        socket.Options.SetRequestHeader("Authorization", $"Bearer {key ?? host.AdminKey}");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(Address(host, sandboxId, query), timeout.Token);
        return new TerminalClient(socket);
    }

    /// <summary>The handshake's HTTP status (101 when it upgraded), with exactly the given credentials.</summary>
    public static async Task<HttpStatusCode> HandshakeStatusAsync(LivePreviewHost host, string sandboxId, string? key = null, string? cookie = null, string? origin = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.Proxy = null;
        socket.Options.CollectHttpResponseDetails = true;
        if (key is not null)
        {
            socket.Options.SetRequestHeader("Authorization", $"Bearer {key}");
        }
        if (cookie is not null)
        {
            socket.Options.SetRequestHeader("Cookie", cookie);
        }
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await socket.ConnectAsync(Address(host, sandboxId), timeout.Token);
        }
        catch (WebSocketException)
        {
            return socket.HttpStatusCode;
        }
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
        return socket.HttpStatusCode;
    }

    public Task TypeAsync(string keys) => SendAsync(Encoding.UTF8.GetBytes(keys));

    public async Task SendAsync(byte[] bytes) =>
        await _socket.SendAsync(bytes, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);

    public async Task ControlAsync(object message) =>
        await _socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    /// <summary>Reads until the output contains <paramref name="text"/>; fails with everything seen when the socket closes or nothing matches in 60 s.</summary>
    public async Task WaitForAsync(string text)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            while (!Output.Contains(text, StringComparison.Ordinal))
            {
                if (await ReceiveOneAsync(cts.Token) is null)
                {
                    Assert.Fail($"The terminal closed ({CloseStatus}) before '{text}' appeared; output: {Output}");
                }
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"'{text}' did not appear; output: {Output}");
        }
    }

    /// <summary>Reads until a control message arrives (output before it is kept); null when the socket closed first.</summary>
    public async Task<JsonElement?> ReceiveControlAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var seen = _controls.Count;
        while (_controls.Count == seen)
        {
            if (await ReceiveOneAsync(cts.Token) is null)
            {
                return null;
            }
        }
        return _controls[seen];
    }

    /// <summary>Reads until the server closes; returns the close status.</summary>
    public async Task<WebSocketCloseStatus?> WaitForCloseAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await ReceiveOneAsync(cts.Token) is not null)
        {
        }
        return CloseStatus;
    }

    /// <summary>One whole message; null once the server closed.</summary>
    private async Task<WebSocketMessageType?> ReceiveOneAsync(CancellationToken cancellationToken)
    {
        if (_socket.State is not (WebSocketState.Open or WebSocketState.CloseSent))
        {
            return null;
        }
        using var message = new MemoryStream();
        var buffer = new byte[16 * 1024];
        ValueWebSocketReceiveResult result;
        do
        {
            result = await _socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                if (_socket.State == WebSocketState.CloseReceived)
                {
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                }
                return null;
            }
            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);
        if (result.MessageType == WebSocketMessageType.Binary)
        {
            _output.Write(message.ToArray());
        }
        else
        {
            _controls.Add(JsonSerializer.Deserialize<JsonElement>(message.ToArray()));
        }
        return result.MessageType;
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
            }
        }
        _socket.Dispose();
    }
}
