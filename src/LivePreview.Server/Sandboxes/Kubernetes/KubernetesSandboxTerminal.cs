using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;

namespace LivePreview.Sandboxes.Kubernetes;

/// <summary>
/// A login shell on a TTY exec (<see cref="ExecCommand.Terminal"/>): the terminal's bytes are channel 0 (in) and 1 (out),
/// a resize is channel 4, the exit code is the error channel's Status. The TTY itself is the container runtime's, in the pod.
/// </summary>
internal sealed class KubernetesSandboxTerminal : ISandboxTerminal
{
    /// <summary>Output chunks held for a reader that lags; the exec's reader thread waits when they are full (the socket then pushes back).</summary>
    private const int OutputChunks = 64;

    private readonly ExecSession _exec;
    private readonly Func<Task> _killSession;
    private readonly TimeSpan _killTimeout;
    private readonly Channel<byte[]> _output = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(OutputChunks) { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // One frame at a time on the socket. SemaphoreSlim hands itself to its waiters in arrival order, so a resize and the
    // keystrokes after it reach the shell in that order (a test types `stty size` right after a resize).
    private readonly SemaphoreSlim _sending = new(1, 1);
    private int _killed;

    public KubernetesSandboxTerminal(ExecSession exec, Func<Task> killSession, TimeSpan killTimeout)
    {
        _exec = exec;
        _killSession = killSession;
        _killTimeout = killTimeout;
        Stream = new TerminalStream(this);
        _ = RunAsync();
    }

    public Stream Stream { get; }

    public Task<int> Exited => _exited.Task;

    /// <summary>Sent in the background, in order with the keystrokes; a terminal that is gone by then has no size to change.</summary>
    public void Resize(int columns, int rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        _ = SendAsync(() => _exec.ResizeAsync(columns, rows), CancellationToken.None, quiet: true);
    }

    /// <summary>
    /// The kill exec ends every process of the shell's session; then the stream is closed, which on a real cluster hangs the
    /// TTY up (SIGHUP) should the kill exec have found nothing (the shell had not written its session yet).
    /// </summary>
    public async Task KillAsync()
    {
        if (Interlocked.Exchange(ref _killed, 1) == 0 && !_exited.Task.IsCompleted)
        {
            try
            {
                await _killSession().WaitAsync(_killTimeout);
            }
            catch (Exception ex) when (ex is IOException or WebSocketException or ObjectDisposedException or KubernetesExecException or TimeoutException or k8s.Autorest.HttpOperationException)
            {
                // The pod is gone or unreachable: closing the stream below is all there is left to do.
            }
            _exec.Dispose();
            // A reader that stopped reading must not keep the exec's reader thread waiting.
            _output.Writer.TryComplete();
        }
        await _exited.Task;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _exec.Dispose();
    }

    private async Task SendAsync(Func<Task> send, CancellationToken cancellationToken, bool quiet)
    {
        try
        {
            await _sending.WaitAsync(cancellationToken);
            try
            {
                await send();
            }
            finally
            {
                _sending.Release();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException && (quiet || _exited.Task.IsCompleted))
        {
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException)
        {
            throw new IOException("The terminal's exec stream is closed.", ex);
        }
    }

    private async Task RunAsync()
    {
        var code = KubernetesSandboxProcess.LostExitCode;
        try
        {
            await ExecSession.PumpAsync(_exec.Output, Deliver);
            code = await _exec.Exited ?? KubernetesSandboxProcess.LostExitCode;
        }
        catch (KubernetesExecException ex)
        {
            // The shell could not start: say why on the screen.
            _output.Writer.TryWrite(Encoding.UTF8.GetBytes($"\r\n{ex.Message}\r\n"));
            code = 127;
        }
        finally
        {
            _output.Writer.TryComplete();
            _exec.Dispose();
            _exited.TrySetResult(code);
        }
    }

    /// <summary>On the exec's reader thread: waits while the reader lags; after a kill (the output completed) drops what is left.</summary>
    private void Deliver(byte[] buffer, int count)
    {
        var chunk = buffer[..count];
        if (_output.Writer.TryWrite(chunk))
        {
            return;
        }
        try
        {
            _output.Writer.WriteAsync(chunk).AsTask().GetAwaiter().GetResult();
        }
        catch (ChannelClosedException)
        {
        }
    }

    /// <summary>Reads are the terminal's output (0 at its end), writes its keystrokes.</summary>
    private sealed class TerminalStream(KubernetesSandboxTerminal terminal) : Stream
    {
        private ReadOnlyMemory<byte> _pending;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_pending.IsEmpty)
            {
                if (!await terminal._output.Reader.WaitToReadAsync(cancellationToken) || !terminal._output.Reader.TryRead(out var chunk))
                {
                    return 0;
                }
                _pending = chunk;
            }
            var count = Math.Min(buffer.Length, _pending.Length);
            _pending[..count].CopyTo(buffer);
            _pending = _pending[count..];
            return count;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (terminal._exited.Task.IsCompleted)
            {
                throw new IOException("The shell has exited.");
            }
            var data = buffer.ToArray();
            await terminal.SendAsync(() => terminal._exec.WriteInputAsync(data, cancellationToken), cancellationToken, quiet: false);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
