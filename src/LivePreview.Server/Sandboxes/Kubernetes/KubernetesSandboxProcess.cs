using System.Text;
using System.Threading.Channels;

namespace LivePreview.Sandboxes.Kubernetes;

/// <summary>
/// A process run through one exec (<see cref="ExecCommand"/>): stdout and stderr are cut into lines each on its own (so a line
/// of one never splits a line of the other), the exit code comes from the error channel's Status.
/// </summary>
internal sealed class KubernetesSandboxProcess : ISandboxProcess
{
    /// <summary>What a process whose stream ended without a Status reports: it was killed with the stream.</summary>
    public const int LostExitCode = 137;

    private readonly ExecSession _exec;
    private readonly Func<Task>? _killByPidFile;
    private readonly TimeSpan _killTimeout;
    private readonly Channel<string> _lines;
    private readonly Queue<string>? _errors;
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _writes = new(1, 1);
    private int _killed;

    public KubernetesSandboxProcess(ExecSession exec, SandboxProcessSpec spec, int bufferLines, TimeSpan killTimeout, Func<Task>? killByPidFile)
    {
        _exec = exec;
        _killTimeout = killTimeout;
        _killByPidFile = killByPidFile;
        _errors = spec.SeparateErrors ? new Queue<string>() : null;
        _lines = Channel.CreateBounded<string>(new BoundedChannelOptions(bufferLines)
        {
            FullMode = spec.LosslessOutput ? BoundedChannelFullMode.Wait : BoundedChannelFullMode.DropOldest,
        });
        Input = spec.OpenInput ? new ExecInput(this) : null;
        _ = RunAsync();
    }

    /// <summary>There is no host process; 0 says so in diagnostics.</summary>
    public int ProcessId => 0;

    public Task<int> Exited => _exited.Task;

    public Stream? Input { get; }

    public string ErrorTail
    {
        get
        {
            if (_errors is null)
            {
                return "";
            }
            lock (_errors)
            {
                return string.Join('\n', _errors);
            }
        }
    }

    public IAsyncEnumerable<string> ReadOutputAsync(CancellationToken cancellationToken) => _lines.Reader.ReadAllAsync(cancellationToken);

    /// <summary>A line on the lifeline (or the kill exec for a process with its own stdin), then the stream is closed if it lingers.</summary>
    public async Task KillAsync()
    {
        if (Interlocked.Exchange(ref _killed, 1) == 0 && !_exited.Task.IsCompleted)
        {
            try
            {
                if (_killByPidFile is null)
                {
                    await WriteAsync("k\n"u8.ToArray(), CancellationToken.None);
                }
                else
                {
                    await _killByPidFile();
                }
            }
            catch (Exception ex) when (ex is IOException or System.Net.WebSockets.WebSocketException or ObjectDisposedException or KubernetesExecException or k8s.Autorest.HttpOperationException)
            {
                // The stream or the pod is gone already: so is the process, or it will be with the stream below.
            }
            if (await Task.WhenAny(_exited.Task, Task.Delay(_killTimeout)) != _exited.Task)
            {
                _exec.Dispose();
            }
        }
        await _exited.Task;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _exec.Dispose();
        _writes.Dispose();
    }

    private async Task WriteAsync(byte[] data, CancellationToken cancellationToken)
    {
        await _writes.WaitAsync(cancellationToken);
        try
        {
            await _exec.WriteInputAsync(data, cancellationToken);
        }
        finally
        {
            _writes.Release();
        }
    }

    private async Task RunAsync()
    {
        var stdout = new LineCutter(line => _lines.Writer.WriteAsync(line).AsTask().GetAwaiter().GetResult());
        var stderr = new LineCutter(line =>
        {
            if (_errors is null)
            {
                _lines.Writer.WriteAsync(line).AsTask().GetAwaiter().GetResult();
                return;
            }
            lock (_errors)
            {
                _errors.Enqueue(line);
                if (_errors.Count > 20)
                {
                    _errors.Dequeue();
                }
            }
        });
        int code;
        try
        {
            await Task.WhenAll(ExecSession.PumpAsync(_exec.Output, stdout.Add), ExecSession.PumpAsync(_exec.Errors, stderr.Add));
            stdout.Flush();
            stderr.Flush();
            code = await _exec.Exited ?? LostExitCode;
        }
        catch (KubernetesExecException ex)
        {
            _lines.Writer.TryWrite(ex.Message);
            code = 127;
        }
        _lines.Writer.TryComplete();
        _exec.Dispose();
        _exited.TrySetResult(code);
    }

    /// <summary>Bytes of one stream into lines (UTF-8 decoded across chunk boundaries).</summary>
    private sealed class LineCutter(Action<string> onLine)
    {
        private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
        private readonly StringBuilder _pending = new();
        private char[] _chars = new char[16 * 1024];

        public void Add(byte[] buffer, int count)
        {
            var needed = _decoder.GetCharCount(buffer, 0, count);
            if (_chars.Length < needed)
            {
                _chars = new char[needed];
            }
            var decoded = _decoder.GetChars(buffer, 0, count, _chars, 0);
            for (var i = 0; i < decoded; i++)
            {
                if (_chars[i] == '\n')
                {
                    onLine(_pending.ToString().TrimEnd('\r'));
                    _pending.Clear();
                }
                else
                {
                    _pending.Append(_chars[i]);
                }
            }
        }

        public void Flush()
        {
            if (_pending.Length > 0)
            {
                onLine(_pending.ToString());
                _pending.Clear();
            }
        }
    }

    /// <summary>The process's stdin: writes go to channel 0, disposing it is EOF (a v5 close).</summary>
    private sealed class ExecInput(KubernetesSandboxProcess process) : Stream
    {
        private int _closed;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed) == 1, this);
            if (process._exited.Task.IsCompleted)
            {
                throw new IOException("The process has exited; its stdin is closed.");
            }
            await process.WriteAsync(buffer.ToArray(), cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0 && !process._exited.Task.IsCompleted)
            {
                try
                {
                    await process._exec.CloseInputAsync();
                }
                catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or ObjectDisposedException or IOException)
                {
                }
            }
            await base.DisposeAsync();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && Volatile.Read(ref _closed) == 0)
            {
                DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            base.Dispose(disposing);
        }
    }
}
