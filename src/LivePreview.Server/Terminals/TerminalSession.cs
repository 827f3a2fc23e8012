using System.Threading.Channels;
using LivePreview.Sandboxes;

namespace LivePreview.Terminals;

/// <summary>
/// One shell of one sandbox, kept across client disconnects: a pump copies the terminal's output into the ring of
/// recent output and to every attached client. With no client attached for <see cref="TerminalOptions.DetachedTimeout"/>
/// the shell is killed. <see cref="Closed"/> completes (with the exit code) after the last output went out to the clients.
/// </summary>
internal sealed class TerminalSession
{
    private const int ReadChunkBytes = 16 * 1024;

    private readonly ISandboxTerminal _terminal;
    private readonly TerminalOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly OutputRing _recent;
    private readonly Lock _gate = new();
    private readonly HashSet<Channel<byte[]>> _clients = [];
    private readonly TaskCompletionSource<int> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ITimer? _detached;

    public TerminalSession(string sandboxId, string name, ISandboxTerminal terminal, TerminalOptions options, TimeProvider time, ILogger logger)
    {
        SandboxId = sandboxId;
        Name = name;
        _terminal = terminal;
        _options = options;
        _time = time;
        _logger = logger;
        _recent = new OutputRing(options.BufferBytes);
        _ = Task.Run(PumpAsync);
    }

    public string SandboxId { get; }

    public string Name { get; }

    /// <summary>The shell's exit code (-1 when it could not be told), after every client got all of its output.</summary>
    public Task<int> Closed => _closed.Task;

    /// <summary>
    /// The recent output and, from exactly that point on, everything new. The reader completes when the shell is gone,
    /// or with <see cref="TerminalClientTooSlowException"/> when this client fell too far behind.
    /// </summary>
    public (byte[] Recent, ChannelReader<byte[]> Output) Attach(out Channel<byte[]> client)
    {
        client = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(_options.ClientQueueChunks) { SingleReader = true, SingleWriter = true });
        lock (_gate)
        {
            _detached?.Dispose();
            _detached = null;
            if (_closed.Task.IsCompleted)
            {
                client.Writer.TryComplete();
            }
            else
            {
                _clients.Add(client);
            }
            return (_recent.ToArray(), client.Reader);
        }
    }

    /// <summary>The last client leaving starts the detached countdown.</summary>
    public void Detach(Channel<byte[]> client)
    {
        lock (_gate)
        {
            if (!_clients.Remove(client) || _clients.Count > 0 || _closed.Task.IsCompleted)
            {
                return;
            }
            _detached?.Dispose();
            _detached = _time.CreateTimer(_ => _ = KillDetachedAsync(), null, _options.DetachedTimeout, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Keystrokes (or a paste) into the terminal.</summary>
    public async Task WriteAsync(ReadOnlyMemory<byte> input, CancellationToken cancellationToken)
    {
        try
        {
            await _terminal.Stream.WriteAsync(input, cancellationToken);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The shell is gone; the pump reports that to every client.
        }
    }

    public void Resize(int columns, int rows)
    {
        try
        {
            _terminal.Resize(columns, rows);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // Closed meanwhile.
        }
    }

    public async Task KillAsync()
    {
        try
        {
            await _terminal.KillAsync();
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            TerminalLog.KillFailed(_logger, e, SandboxId, Name);
        }
    }

    private async Task KillDetachedAsync()
    {
        lock (_gate)
        {
            if (_clients.Count > 0)
            {
                return;
            }
        }
        TerminalLog.DetachedTooLong(_logger, SandboxId, Name, _options.DetachedTimeout);
        await KillAsync();
    }

    private async Task PumpAsync()
    {
        var buffer = new byte[ReadChunkBytes];
        try
        {
            while (true)
            {
                int read;
                try
                {
                    // A blocking read: the master has no readiness API in .NET. It ends with EIO once no sandbox process holds the slave.
                    read = await _terminal.Stream.ReadAsync(buffer);
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException)
                {
                    break;
                }
                if (read == 0)
                {
                    break;
                }
                Deliver(buffer.AsSpan(0, read));
            }
        }
        finally
        {
            int code;
            try
            {
                code = await _terminal.Exited;
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException)
            {
                code = -1;
            }
            lock (_gate)
            {
                _detached?.Dispose();
                _closed.TrySetResult(code);
                foreach (var client in _clients)
                {
                    client.Writer.TryComplete();
                }
                _clients.Clear();
            }
            TerminalLog.Closed(_logger, SandboxId, Name, code);
            await _terminal.DisposeAsync();
        }
    }

    private void Deliver(ReadOnlySpan<byte> output)
    {
        var chunk = output.ToArray();
        lock (_gate)
        {
            _recent.Write(chunk);
            foreach (var client in _clients.Where(c => !c.Writer.TryWrite(chunk)).ToList())
            {
                client.Writer.TryComplete(new TerminalClientTooSlowException());
                _clients.Remove(client);
                TerminalLog.ClientTooSlow(_logger, SandboxId, Name, _options.ClientQueueChunks);
            }
            if (_clients.Count == 0 && _detached is null)
            {
                _detached = _time.CreateTimer(_ => _ = KillDetachedAsync(), null, _options.DetachedTimeout, Timeout.InfiniteTimeSpan);
            }
        }
    }
}

/// <summary>A client's output queue overflowed; it was cut off and reattaches to get the recent screen.</summary>
internal sealed class TerminalClientTooSlowException() : Exception("The client fell too far behind the terminal's output.");

/// <summary>A sandbox has as many terminals as it may have.</summary>
public sealed class TerminalLimitException(int limit)
    : Exception($"This sandbox has {limit} terminals already (LivePreview:Terminals:MaxPerSandbox); reattach to one of them with ?terminal=<name> or exit one first.");
