using LivePreview.Events;
using LivePreview.Persistence;
using LivePreview.Sandboxes;

namespace LivePreview.DevServers;

/// <summary>What a supervisor runs and how it knows the result is ready.</summary>
/// <param name="Command">The dev-server command inside the sandbox; null watches a port something else serves.</param>
/// <param name="ProbePath">Path of the page probed for readiness (the Vite base in path mode).</param>
/// <param name="WorkingDirectory">Workspace-relative folder the command runs in (a monorepo's app); null: the workspace root.</param>
/// <param name="Environment">Variables added to the dev server's own (a repository's plan: PORT, HOST, …).</param>
public sealed record SupervisorSpec(string PreviewId, string SandboxId, int Port, IReadOnlyList<string>? Command, string ProbePath,
    string? WorkingDirectory = null, IReadOnlyDictionary<string, string>? Environment = null);

/// <summary>Where a supervisor reports each state change; the preview lifecycle owns the state.</summary>
public delegate Task StateSink(PreviewStatus status, string? error, int restarts);

/// <summary>
/// Runs one dev server: start → readiness → ready, crash detection, bounded restarts with backoff,
/// the last log lines kept for the error state. It only reports states; it never stores them.
/// </summary>
internal sealed partial class DevServerSupervisor : IAsyncDisposable
{
    private readonly SupervisorSpec _spec;
    private readonly SupervisorContext _context;
    private readonly StateSink _report;
    private readonly Action<DevServerCrash>? _crashed;
    private readonly LogTail _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Queue<DateTimeOffset> _crashes = new();
    private Task _loop = Task.CompletedTask;
    private ISandboxProcess? _process;
    private long? _oomKillsAtStart;

    /// <param name="crashed">Told of every crash (why it ended) before the state it leads to is reported.</param>
    public DevServerSupervisor(SupervisorSpec spec, SupervisorContext context, StateSink report, Action<DevServerCrash>? crashed = null)
    {
        _spec = spec;
        _context = context;
        _report = report;
        _crashed = crashed;
        _log = new LogTail(context.Options.LogLines, lines => context.Events.PublishAsync(
            new EventDraft(EventTypes.DevServerLog, "preview", spec.PreviewId, spec.SandboxId, new { lines })));
    }

    public IReadOnlyList<string> LogLines => _log.Lines;

    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    private async Task RunAsync(CancellationToken ct)
    {
        try
        {
            await _report(PreviewStatus.Starting, null, 0);
            while (!ct.IsCancellationRequested)
            {
                var failure = await RunOnceAsync(ct);
                if (ct.IsCancellationRequested || failure is null || !await ShouldRestartAsync(failure, ct))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogSupervisorFailed(_context.Logger, ex, _spec.PreviewId);
            await _report(PreviewStatus.Error, $"Supervisor failed: {ex.Message}", _crashes.Count);
        }
        finally
        {
            await KillProcessAsync();
        }
    }

    /// <summary>One start of the dev server; returns why it ended, or null when it ended for good.</summary>
    private async Task<DevServerCrash?> RunOnceAsync(CancellationToken ct)
    {
        if (_spec.Command is not null)
        {
            // Counted from here: an OOM kill of the sandbox while this run lasts is what ends it "killed by the memory limit".
            _oomKillsAtStart = (await _context.Provider.GetMemoryAsync(_spec.SandboxId, ct))?.OomKills;
            _process = await _context.Provider.StartProcessAsync(_spec.SandboxId, new SandboxProcessSpec(_spec.Command, EnvironmentOf(_spec), _spec.WorkingDirectory), ct);
            _ = _log.PumpAsync(_process, ct);
        }
        var (ready, failure) = await WaitUntilReadyAsync(ct);
        if (!ready)
        {
            return failure;
        }
        await _report(PreviewStatus.Ready, null, _crashes.Count);
        if (_process is null)
        {
            return null;
        }
        var exitCode = await _process.Exited.WaitAsync(ct);
        return await CrashAsync(exitCode, beforeReady: false, ct);
    }

    private async Task<DevServerCrash> CrashAsync(int exitCode, bool beforeReady, CancellationToken ct) =>
        DevServerCrash.Of(exitCode, beforeReady, _oomKillsAtStart, await _context.Provider.GetMemoryAsync(_spec.SandboxId, ct), _context.Time.GetUtcNow());

    /// <summary>Ready, or why not: a failure to restart from, or null after a timeout (reported as an error, no restart).</summary>
    private async Task<(bool Ready, DevServerCrash? Failure)> WaitUntilReadyAsync(CancellationToken ct)
    {
        var options = _context.Options;
        var (endpoint, prefix, headers) = await SandboxHttpClient.PortAsync(_context.Provider, _spec.SandboxId, _spec.Port, ct);
        var pageUri = new Uri($"{prefix}{_spec.ProbePath}");
        var deadline = _context.Time.GetUtcNow() + options.ReadinessTimeout;
        var lastReason = "not probed yet";
        var watchOnly = _spec.Command is null;
        DateTimeOffset? notHttpSince = null;
        while (_context.Time.GetUtcNow() < deadline)
        {
            if (_process is { Exited.IsCompleted: true })
            {
                return (false, await CrashAsync(await _process.Exited, beforeReady: true, ct));
            }
            var result = await _context.Probe.CheckAsync(endpoint, pageUri, requireScripts: !watchOnly, ct, anyAnswer: watchOnly, headers);
            if (result.IsReady)
            {
                return (true, null);
            }
            lastReason = result.Reason ?? lastReason;
            // A watched port that keeps answering in something other than HTTP (a database, a raw socket) is said to be so,
            // instead of spinning until the readiness timeout: there is no page to show, and waiting will not make one.
            notHttpSince = result.NotHttp ? notHttpSince ?? _context.Time.GetUtcNow() : null;
            if (watchOnly && notHttpSince is { } since && _context.Time.GetUtcNow() - since >= options.PortDetection.NotHttpAfter)
            {
                await _report(PreviewStatus.Error, $"Port {_spec.Port} takes connections but does not answer HTTP ({lastReason}); there is no page to preview.", 0);
                return (false, null);
            }
            await Task.Delay(options.ReadinessPollInterval, _context.Time, ct);
        }
        await KillProcessAsync();
        _crashes.Clear();
        await _report(PreviewStatus.Error, $"Not ready after {options.ReadinessTimeout.TotalSeconds:0} s ({lastReason}).{_log.Describe()}", 0);
        return (false, null);
    }

    private async Task<bool> ShouldRestartAsync(DevServerCrash crash, CancellationToken ct)
    {
        var failure = crash.Reason;
        await KillProcessAsync();
        _crashed?.Invoke(crash);
        var now = _context.Time.GetUtcNow();
        _crashes.Enqueue(now);
        while (_crashes.Count > 0 && now - _crashes.Peek() > _context.Options.RestartWindow)
        {
            _crashes.Dequeue();
        }
        var giveUp = _crashes.Count > _context.Options.MaxRestarts;
        // Leave "ready" at once: the proxy must not route to a dead server during the backoff.
        if (giveUp)
        {
            await _report(PreviewStatus.Error, $"{failure} It crashed {_crashes.Count} times within {_context.Options.RestartWindow.TotalMinutes:0} min; not restarting.{_log.Describe()}", _crashes.Count);
        }
        else
        {
            await _report(PreviewStatus.Starting, null, _crashes.Count);
        }
        await _context.Events.PublishAsync(new EventDraft(EventTypes.DevServerCrashed, "preview", _spec.PreviewId, _spec.SandboxId,
            new { reason = failure, cause = crash.Cause, exit_code = crash.ExitCode, restarts = _crashes.Count, restarting = !giveUp, last_lines = _log.Lines.TakeLast(20) }),
            CancellationToken.None);
        if (giveUp)
        {
            return false;
        }
        LogRestarting(_context.Logger, _spec.PreviewId, _crashes.Count, failure);
        await Task.Delay(_context.Options.RestartBackoff * Math.Pow(2, _crashes.Count - 1), _context.Time, ct);
        return true;
    }

    private static readonly IReadOnlyDictionary<string, string> DevServerEnvironment = new Dictionary<string, string>
    {
        ["NODE_ENV"] = "development",
        ["NEXT_TELEMETRY_DISABLED"] = "1",
        ["BROWSER"] = "none",
        ["FORCE_COLOR"] = "0",
    };

    private static IReadOnlyDictionary<string, string> EnvironmentOf(SupervisorSpec spec)
    {
        if (spec.Environment is not { Count: > 0 } extra)
        {
            return DevServerEnvironment;
        }
        var merged = new Dictionary<string, string>(DevServerEnvironment);
        foreach (var (key, value) in extra)
        {
            merged[key] = value;
        }
        return merged;
    }

    private async Task KillProcessAsync()
    {
        var process = Interlocked.Exchange(ref _process, null);
        if (process is null)
        {
            return;
        }
        try
        {
            // Disposing kills the tree (SIGKILL) and waits for it.
            await process.DisposeAsync();
        }
        catch (TimeoutException ex)
        {
            // SIGKILL was sent; a tree that takes longer than KillTimeout to go (the kernel still reaping it) does not
            // keep the preview from stopping. The sandbox's own stop kills and waits again.
            LogKillSlow(_context.Logger, ex, _spec.PreviewId);
        }
    }

    /// <summary>Stops the loop and the process; the caller reports the stopped state.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Error, Message = "Supervisor of preview {PreviewId} failed")]
    private static partial void LogSupervisorFailed(ILogger logger, Exception ex, string previewId);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "Dev server of preview {PreviewId} was killed but its processes had not all gone in time")]
    private static partial void LogKillSlow(ILogger logger, Exception ex, string previewId);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "Restarting dev server of preview {PreviewId} (restart {Restarts}): {Reason}")]
    private static partial void LogRestarting(ILogger logger, string previewId, int restarts, string reason);
}

/// <summary>The services every supervisor shares.</summary>
internal sealed record SupervisorContext(
    ISandboxProvider Provider,
    ReadinessProbe Probe,
    IEventBus Events,
    Previews.PreviewOptions Options,
    TimeProvider Time,
    ILogger Logger);
