using System.Net.Sockets;

namespace LivePreview.Egress;

/// <summary>
/// The proxy of one granted sandbox: its listener (inside the sandbox's network), its allow list, and
/// the connections it holds, at most <see cref="EgressOptions.MaxConnectionsPerSandbox"/> at a time.
/// Closing it closes the listener and every tunnel.
/// </summary>
internal sealed class SandboxEgress(string sandboxId, Socket listener, EgressOptions options, EgressRefusals refusals, ILogger logger) : IAsyncDisposable
{
    private readonly CancellationTokenSource _closing = new();
    private readonly Lock _gate = new();
    private readonly HashSet<Task> _connections = [];
    private volatile IReadOnlySet<EgressTarget> _allowed = new HashSet<EgressTarget>();
    private Task _accepting = Task.CompletedTask;

    public string SandboxId { get; } = sandboxId;

    public bool Allows(EgressTarget target) => _allowed.Contains(target.Normalized());

    public void SetAllowed(IEnumerable<EgressTarget> targets) => _allowed = targets.Select(t => t.Normalized()).ToHashSet();

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
                Track(client, closing);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || closing.IsCancellationRequested)
        {
            // Revoked.
        }
        catch (Exception ex)
        {
            EgressLog.AcceptFailed(logger, SandboxId, ex);
        }
    }

    private void Track(Socket client, CancellationToken closing)
    {
        lock (_gate)
        {
            if (_connections.Count >= options.MaxConnectionsPerSandbox)
            {
                _ = RefuseBusyAsync(client);
                return;
            }
            var task = RunAsync(client, closing);
            _connections.Add(task);
            _ = task.ContinueWith(t => { lock (_gate) { _connections.Remove(t); } }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task RunAsync(Socket client, CancellationToken closing)
    {
        await Task.Yield();
        try
        {
            await new EgressConnection(client, this, options, refusals, logger).RunAsync(closing);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The sandbox or the far end went away, or the grant was revoked.
        }
        catch (Exception ex)
        {
            EgressLog.ConnectionFailed(logger, SandboxId, ex);
        }
        finally
        {
            client.Dispose();
        }
    }

    private async Task RefuseBusyAsync(Socket client)
    {
        using (client)
        {
            await refusals.ReportAsync(SandboxId, "(any)", $"More than {options.MaxConnectionsPerSandbox} connections at once.");
            var body = $"This sandbox already holds {options.MaxConnectionsPerSandbox} connections through the egress proxy.\n";
            var response = System.Text.Encoding.ASCII.GetBytes($"HTTP/1.1 429 Too Many Requests\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}");
            try
            {
                await client.SendAsync(response, SocketFlags.None);
            }
            catch (SocketException)
            {
            }
        }
    }
}
