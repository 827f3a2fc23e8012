using System.Net;
using System.Net.Sockets;

namespace LivePreview.Tests.Support;

/// <summary>
/// The "small load balancer" of the multi-instance tests: a TCP proxy on 127.0.0.1 that hands each new connection to the
/// next backend port in turn (no stickiness, no HTTP parsing, so Host headers and WebSocket upgrades pass untouched), or
/// to one port only while <see cref="Pin"/> says so. It listens from construction (its port is known before the instances
/// start, which need it as their public port) and closes every connection at dispose.
/// </summary>
internal sealed class RoundRobinBalancer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Lock _gate = new();
    private int[] _backends = [];
    private int? _pinned;
    private int _next;
    private Task _accepting = Task.CompletedTask;

    public RoundRobinBalancer()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
    }

    public int Port { get; }

    /// <summary>How many connections went to each backend port.</summary>
    public Dictionary<int, int> Connections { get; } = [];

    /// <summary>Starts handing connections to <paramref name="backends"/> in turn.</summary>
    public void Start(params int[] backends)
    {
        _backends = backends;
        _accepting = AcceptAsync();
    }

    /// <summary>Every new connection to <paramref name="port"/> (null: round robin again).</summary>
    public void Pin(int? port)
    {
        lock (_gate)
        {
            _pinned = port;
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            int port;
            lock (_gate)
            {
                port = _pinned ?? _backends[_next++ % _backends.Length];
                Connections[port] = Connections.GetValueOrDefault(port) + 1;
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(RelayAsync(client, port));
            }
        }
    }

    private async Task RelayAsync(TcpClient client, int port)
    {
        using (client)
        using (var backend = new TcpClient())
        {
            try
            {
                await backend.ConnectAsync(IPAddress.Loopback, port, _stop.Token);
                var front = client.GetStream();
                var back = backend.GetStream();
                using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                var up = PipeAsync(front, back, done.Token);
                var down = PipeAsync(back, front, done.Token);
                await Task.WhenAny(up, down);
                await done.CancelAsync();
                await Task.WhenAll(up, down);
            }
            catch (Exception) when (_stop.IsCancellationRequested || client.Connected is false)
            {
            }
            catch (SocketException)
            {
            }
        }
    }

    private static async Task PipeAsync(NetworkStream from, NetworkStream to, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, ct)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, read), ct);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] open;
        lock (_gate)
        {
            open = [.. _connections];
        }
        await Task.WhenAll(open);
        _stop.Dispose();
    }
}
