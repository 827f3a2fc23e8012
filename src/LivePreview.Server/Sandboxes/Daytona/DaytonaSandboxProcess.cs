using System.Text;
using System.Threading.Channels;

namespace LivePreview.Sandboxes.Daytona;

/// <summary>
/// One process in its own toolbox session. Its output is followed over the toolbox's WebSocket and cut into lines; when the
/// stream ends the command's exit code is asked until it is there. Killing it deletes the session, which ends the command.
/// </summary>
internal sealed class DaytonaSandboxProcess : ISandboxProcess
{
    /// <summary>Sessions the service made start with this, so a stop can find those of an earlier run.</summary>
    public const string SessionPrefix = "lp-";

    /// <summary>What an exit code is taken to be when the session was deleted before the command reported one (a kill).</summary>
    public const int KilledExitCode = 137;

    // The toolbox marks demultiplexed stdout/stderr chunks with three 0x01 or 0x02 bytes; the merged stream keeps the text only.
    private static readonly string[] StreamMarkers = ["\u0001\u0001\u0001", "\u0002\u0002\u0002"];

    private readonly DaytonaClient _client;
    private readonly DaytonaToolbox _box;
    private readonly DaytonaOptions _options;
    private readonly TimeProvider _time;
    private readonly Channel<string> _lines;
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private int _killed;

    public DaytonaSandboxProcess(DaytonaClient client, DaytonaToolbox box, string sessionId, string commandId, DaytonaOptions options, TimeProvider time,
        BoundedChannelFullMode whenFull, ILogger logger, string sandboxId)
    {
        _client = client;
        _box = box;
        _options = options;
        _time = time;
        SessionId = sessionId;
        CommandId = commandId;
        _lines = Channel.CreateBounded<string>(new BoundedChannelOptions(options.OutputBufferLines) { FullMode = whenFull, SingleWriter = true });
        _ = PumpAsync(logger, sandboxId);
    }

    public string SessionId { get; }

    public string CommandId { get; }

    /// <summary>There is no host process; 0 says so in diagnostics.</summary>
    public int ProcessId => 0;

    public Task<int> Exited => _exited.Task;

    public IAsyncEnumerable<string> ReadOutputAsync(CancellationToken cancellationToken) => _lines.Reader.ReadAllAsync(cancellationToken);

    public async Task KillAsync()
    {
        if (Interlocked.Exchange(ref _killed, 1) == 0)
        {
            try
            {
                await _client.DeleteSessionAsync(_box, SessionId, CancellationToken.None);
            }
            catch (Exception ex) when (ex is HttpRequestException or DaytonaException or TaskCanceledException)
            {
                // The sandbox is gone or unreachable: nothing of ours runs in it any more that we could reach.
            }
            _stop.CancelAfter(_options.RequestTimeout);
        }
        await _exited.Task;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _stop.Dispose();
    }

    private async Task PumpAsync(ILogger logger, string sandboxId)
    {
        var pending = new StringBuilder();
        try
        {
            await foreach (var chunk in _client.FollowLogsAsync(_box, SessionId, CommandId, _stop.Token))
            {
                await WriteLinesAsync(pending, chunk);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            DaytonaLog.FollowFailed(logger, ex, sandboxId, SessionId);
        }
        catch (OperationCanceledException)
        {
        }
        if (pending.Length > 0)
        {
            _lines.Writer.TryWrite(pending.ToString());
        }
        _lines.Writer.TryComplete();
        _exited.TrySetResult(await ExitCodeAsync());
    }

    private async Task WriteLinesAsync(StringBuilder pending, string chunk)
    {
        foreach (var marker in StreamMarkers)
        {
            chunk = chunk.Replace(marker, "", StringComparison.Ordinal);
        }
        pending.Append(chunk);
        var text = pending.ToString();
        var start = 0;
        for (var newline = text.IndexOf('\n'); newline >= 0; newline = text.IndexOf('\n', start))
        {
            await _lines.Writer.WriteAsync(text[start..newline].TrimEnd('\r'), _stop.Token);
            start = newline + 1;
        }
        pending.Clear().Append(text, start, text.Length - start);
    }

    /// <summary>The exit code the toolbox reports once the command is done; a session that is gone means it was killed.</summary>
    private async Task<int> ExitCodeAsync()
    {
        while (true)
        {
            try
            {
                var command = await _client.GetCommandAsync(_box, SessionId, CommandId, CancellationToken.None);
                if (command is null)
                {
                    return KilledExitCode;
                }
                if (command.ExitCode is { } code)
                {
                    return code;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or DaytonaException or TaskCanceledException)
            {
                if (Volatile.Read(ref _killed) == 1)
                {
                    return KilledExitCode;
                }
            }
            await Task.Delay(_options.PollInterval, _time);
        }
    }
}
