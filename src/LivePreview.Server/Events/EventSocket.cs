using System.Net.WebSockets;

namespace LivePreview.Events;

/// <summary>
/// The server side of an event WebSocket: text messages out, nothing expected in but the client's close.
/// Every send is bounded by a timeout, so a client that stops reading cannot hold the server forever.
/// </summary>
internal sealed class EventSocket(WebSocket socket, TimeSpan sendTimeout, TimeProvider time) : IDisposable
{
    private readonly CancellationTokenSource _timeout = new(Timeout.InfiniteTimeSpan, time);

    public bool CanSend => socket.State is WebSocketState.Open or WebSocketState.CloseReceived;

    /// <summary>Throws <see cref="TimeoutException"/> (the socket is then aborted) when the client reads nothing for the send timeout.</summary>
    public async Task SendAsync(byte[] message)
    {
        _timeout.CancelAfter(sendTimeout);
        try
        {
            await socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, _timeout.Token);
        }
        catch (OperationCanceledException) when (_timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"The client read nothing for {sendTimeout}.");
        }
        _timeout.TryReset();
    }

    /// <summary>Sends a close frame unless the socket is gone; returns whether it went out.</summary>
    public async Task<bool> TryCloseAsync(WebSocketCloseStatus status, string description)
    {
        if (!CanSend || !_timeout.TryReset())
        {
            return false;
        }
        _timeout.CancelAfter(sendTimeout);
        try
        {
            await socket.CloseOutputAsync(status, description, _timeout.Token);
            return true;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Completes when the client closes or disappears. Clients send nothing else on this stream; anything they do send is ignored.</summary>
    public async Task ReceiveUntilClosedAsync()
    {
        var buffer = new byte[512];
        try
        {
            while ((await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None)).MessageType != WebSocketMessageType.Close)
            {
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Gives the client the send timeout to answer a close (or finish closing); then cuts it off.</summary>
    public async Task FinishAsync(Task receiving)
    {
        try
        {
            await receiving.WaitAsync(sendTimeout, time);
        }
        catch (TimeoutException)
        {
            socket.Abort();
            await receiving;
        }
    }

    public void Dispose() => _timeout.Dispose();
}
