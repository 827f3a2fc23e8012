using System.Collections.Concurrent;
using System.Net.Sockets;
using LivePreview.Sandboxes;
using Microsoft.Extensions.Options;

namespace LivePreview.Gateway;

/// <summary>
/// Makes the gateway reachable from each sandbox without opening anything on the host: a listening socket on the
/// sandbox's own loopback (opened inside its network namespace, <see cref="ISandboxNetworkAccess"/>) whose
/// connections are relayed byte for byte to the gateway's Unix socket. The firewall keeps dropping every
/// connection from a sandbox to the host; each sandbox sees only its own listener. Opened on the first process
/// the sandbox starts (every launch asks for the environment), closed when the sandbox is stopped or deleted.
/// </summary>
internal sealed class GatewayListeners(GatewayTokens tokens, GatewaySocket socket, ServiceSandboxes known, IOptions<GatewayOptions> options, ILogger<GatewayListeners> logger)
    : ISandboxEnvironment, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, SandboxRelay> _relays = new(StringComparer.Ordinal);

    public async ValueTask<IReadOnlyDictionary<string, string>> PrepareAsync(string sandboxId, ISandboxNetworkAccess? network, CancellationToken cancellationToken)
    {
        if (!await known.ExistsAsync(sandboxId, cancellationToken))
        {
            return new Dictionary<string, string>();
        }
        var port = options.Value.SandboxPort;
        if (network is not null && !_relays.ContainsKey(sandboxId))
        {
            var relay = new SandboxRelay(sandboxId, network.ListenInside(sandboxId, port), socket.Path, options.Value.MaxConnectionsPerSandbox, logger);
            if (_relays.TryAdd(sandboxId, relay))
            {
                relay.Start();
                GatewayLog.Opened(logger, sandboxId, port);
            }
            else
            {
                _ = relay.DisposeAsync();
            }
        }
        var token = tokens.For(sandboxId);
        var urls = UrlsInside(port);
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["LIVEPREVIEW_SANDBOX_TOKEN"] = token,
            ["LIVEPREVIEW_MCP_URL"] = urls.Mcp,
            ["ANTHROPIC_BASE_URL"] = urls.Anthropic,
            ["OPENAI_BASE_URL"] = urls.OpenAI,
            // Not real keys: CLIs send them, the gateway takes them as the sandbox token and uses the real key itself.
            ["ANTHROPIC_API_KEY"] = token,
            ["OPENAI_API_KEY"] = token,
        };
    }

    public async ValueTask ReleaseAsync(string sandboxId)
    {
        known.Forget(sandboxId);
        if (_relays.TryRemove(sandboxId, out var relay))
        {
            await relay.DisposeAsync();
            GatewayLog.Closed(logger, sandboxId);
        }
    }

    /// <summary>The gateway's URLs as a sandbox process sees them (its own loopback, <see cref="GatewayOptions.SandboxPort"/>).</summary>
    public static (string Mcp, string Anthropic, string OpenAI) UrlsInside(int port)
    {
        var gateway = $"http://127.0.0.1:{port}";
        return ($"{gateway}/mcp", $"{gateway}/anthropic", $"{gateway}/openai/v1");
    }

    /// <summary>Whether the sandbox currently has a gateway listener (for tests and the containment report).</summary>
    public bool IsOpen(string sandboxId) => _relays.ContainsKey(sandboxId);

    public async ValueTask DisposeAsync()
    {
        foreach (var id in _relays.Keys)
        {
            await ReleaseAsync(id);
        }
    }
}

/// <summary>One sandbox's gateway listener and the connections it relays to the gateway's Unix socket.</summary>
internal sealed class SandboxRelay(string sandboxId, Socket listener, string socketPath, int maxConnections, ILogger logger) : IAsyncDisposable
{
    private readonly CancellationTokenSource _closing = new();
    private readonly Lock _gate = new();
    private readonly HashSet<Task> _connections = [];
    private Task _accepting = Task.CompletedTask;

    public void Start() => _accepting = AcceptLoopAsync(_closing.Token);

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        listener.Dispose();
        Task[] running;
        lock (_gate)
        {
            running = [.. _connections];
        }
        await Task.WhenAll([_accepting, .. running]);
        _closing.Dispose();
    }

    private async Task AcceptLoopAsync(CancellationToken closing)
    {
        try
        {
            while (!closing.IsCancellationRequested)
            {
                var client = await listener.AcceptAsync(closing);
                lock (_gate)
                {
                    if (_connections.Count >= maxConnections)
                    {
                        client.Dispose();
                        continue;
                    }
                    var task = RelayAsync(client, closing);
                    _connections.Add(task);
                    _ = task.ContinueWith(t => { lock (_gate) { _connections.Remove(t); } }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || closing.IsCancellationRequested)
        {
            // Closed.
        }
        catch (Exception ex)
        {
            GatewayLog.RelayFailed(logger, sandboxId, ex);
        }
    }

    private async Task RelayAsync(Socket client, CancellationToken closing)
    {
        await Task.Yield();
        using var upstream = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await upstream.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), closing);
            await using var a = new NetworkStream(client, ownsSocket: false);
            await using var b = new NetworkStream(upstream, ownsSocket: false);
            using var done = CancellationTokenSource.CreateLinkedTokenSource(closing);
            var up = CopyAsync(a, b, upstream, done.Token);
            var down = CopyAsync(b, a, client, done.Token);
            await Task.WhenAny(up, down);
            // One side closed: let the other finish what it was sending, then end both.
            await Task.WhenAll(up, down).WaitAsync(closing).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await done.CancelAsync();
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // Either end went away, or the sandbox was stopped.
        }
        finally
        {
            client.Dispose();
        }
    }

    private static async Task CopyAsync(Stream from, Stream to, Socket toSocket, CancellationToken ct)
    {
        try
        {
            await from.CopyToAsync(to, ct);
            toSocket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            try
            {
                toSocket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        }
    }
}
