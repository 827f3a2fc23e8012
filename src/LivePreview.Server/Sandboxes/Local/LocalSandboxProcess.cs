using System.Diagnostics;
using System.Threading.Channels;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// One process tree in a sandbox: the host's <c>ip netns exec</c> → bwrap launcher, bwrap's pid-1
/// reaper inside a new pid namespace, and the command under it. Killing the launcher is enough:
/// bwrap's --die-with-parent SIGKILLs the reaper, and the kernel then kills the whole namespace.
/// </summary>
internal sealed class LocalSandboxProcess : ISandboxProcess
{
    private readonly Process _launcher;
    private readonly PidNamespaceInit? _init;
    private readonly Channel<string> _output;
    private readonly TimeSpan _killTimeout;
    private readonly Queue<string>? _errors;

    /// <param name="separateErrors">stderr into <see cref="ErrorTail"/> instead of the output channel (<see cref="SandboxProcessSpec.SeparateErrors"/>).</param>
    public LocalSandboxProcess(Process launcher, PidNamespaceInit? init, int outputLines, BoundedChannelFullMode whenFull, TimeSpan killTimeout, bool openInput = false,
        bool separateErrors = false)
    {
        _launcher = launcher;
        _errors = separateErrors ? new Queue<string>() : null;
        Input = openInput ? launcher.StandardInput.BaseStream : null;
        _init = init;
        _killTimeout = killTimeout;
        _output = Channel.CreateBounded<string>(new BoundedChannelOptions(outputLines) { FullMode = whenFull });
        _ = PumpAllAsync();
        Exited = WaitForTreeAsync();
    }

    public int ProcessId => _launcher.Id;

    public Task<int> Exited { get; }

    /// <summary>The launcher's stdin, which ip, setpriv and bwrap hand on to the command as its own.</summary>
    public Stream? Input { get; }

    public IAsyncEnumerable<string> ReadOutputAsync(CancellationToken cancellationToken) => _output.Reader.ReadAllAsync(cancellationToken);

    /// <summary>How many stderr lines <see cref="ErrorTail"/> keeps.</summary>
    public const int ErrorTailLines = 20;

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

    /// <summary>SIGKILL to the launcher, then wait until the pid namespace's init is gone (and with it every process in the namespace).</summary>
    public async Task KillAsync()
    {
        KillLauncher();
        if (await Task.WhenAny(Exited, Task.Delay(_killTimeout)) != Exited)
        {
            throw new TimeoutException($"Sandbox process {ProcessId} was still running {_killTimeout} after SIGKILL.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        finally
        {
            CloseInput();
            _launcher.Dispose();
        }
    }

    private void CloseInput()
    {
        try
        {
            Input?.Dispose();
        }
        catch (IOException)
        {
            // The command is gone; whatever was still buffered for it has nowhere to go.
        }
    }

    private void KillLauncher()
    {
        try
        {
            _launcher.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already exited and reaped.
        }
        // The namespace's init dies with the launcher by PDEATHSIG, unless the launcher was killed before the init had
        // set it (a stop right after a start): then it is killed here, and the kernel takes the rest of the namespace.
        _init?.Kill();
    }

    /// <summary>Exited does not wait for the output: a reader that stopped reading must not keep a killed process "running".</summary>
    private async Task<int> WaitForTreeAsync()
    {
        await _launcher.WaitForExitAsync();
        if (_init is not null && !await _init.WaitGoneAsync(_killTimeout))
        {
            // The launcher is gone but its reaper is not (it can only be if PDEATHSIG was lost); the output pipes then stay open too.
            throw new TimeoutException($"The pid namespace of sandbox process {ProcessId} outlived its launcher.");
        }
        return _launcher.ExitCode;
    }

    /// <summary>stdout and stderr (unless kept apart) into one channel, line by line; it completes once both pipes are closed, i.e. every process of the tree is gone.</summary>
    private async Task PumpAllAsync()
    {
        try
        {
            await Task.WhenAll(PumpAsync(_launcher.StandardOutput), _errors is null ? PumpAsync(_launcher.StandardError) : PumpErrorsAsync(_launcher.StandardError, _errors));
        }
        catch (Exception e) when (e is ObjectDisposedException or IOException or ChannelClosedException)
        {
            // Disposed while the last lines were in flight; nobody is left to read them.
        }
        finally
        {
            _output.Writer.TryComplete();
        }
    }

    /// <summary>stderr kept apart: its last lines only, so a chatty process never blocks on it nor grows the service's memory.</summary>
    private static async Task PumpErrorsAsync(StreamReader reader, Queue<string> errors)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (errors)
            {
                errors.Enqueue(line.Length > 2000 ? line[..2000] : line);
                if (errors.Count > ErrorTailLines)
                {
                    errors.Dequeue();
                }
            }
        }
    }

    private async Task PumpAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            await _output.Writer.WriteAsync(line);
        }
    }
}
