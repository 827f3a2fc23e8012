using System.Threading.Channels;

namespace LivePreview.Sandboxes.Daytona;

/// <summary>Processes in toolbox sessions: one session per process, its command run async, its output followed.</summary>
internal sealed partial class DaytonaSandboxProvider
{
    public async Task<ISandboxProcess> StartProcessAsync(string sandboxId, SandboxProcessSpec spec, CancellationToken cancellationToken) =>
        await StartAsync(sandboxId, spec, spec?.LosslessOutput == true ? BoundedChannelFullMode.Wait : BoundedChannelFullMode.DropOldest, cancellationToken);

    public async Task<SandboxCommandResult> RunCommandAsync(string sandboxId, SandboxProcessSpec spec, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await using var process = await StartAsync(sandboxId, spec, BoundedChannelFullMode.Wait, cancellationToken);
        return await SandboxCommandRun.CompleteAsync(process, _options.CommandOutputLimitBytes, timeout, cancellationToken);
    }

    private async Task<DaytonaSandboxProcess> StartAsync(string sandboxId, SandboxProcessSpec spec, BoundedChannelFullMode whenFull, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Command.Count == 0)
        {
            throw new ArgumentException("The command is empty.", nameof(spec));
        }
        if (spec.OpenInput || spec.SeparateErrors)
        {
            throw new SandboxProviderLimitException("The Daytona sandbox provider cannot give a process a stdin or keep its stderr apart yet (the toolbox's log stream merges them); CLI agents need the local provider.");
        }
        var box = await ToolboxAsync(sandboxId, cancellationToken);
        // No listener inside a Daytona sandbox's network from here: environments get no network.
        var environment = await _environments.MergeAsync(sandboxId, null, spec, cancellationToken);
        var directory = spec.WorkingDirectory is { Length: > 0 } sub ? $"{_options.WorkspaceDirectory.TrimEnd('/')}/{sub}" : _options.WorkspaceDirectory;
        var command = ShellWords.Command(directory, spec.Command, environment, spec.ExactEnvironment);
        var sessionId = DaytonaSandboxProcess.SessionPrefix + Guid.NewGuid().ToString("N");
        await _client.CreateSessionAsync(box, sessionId, cancellationToken);
        var started = await _client.ExecuteAsync(box, sessionId, command, cancellationToken);
        var process = new DaytonaSandboxProcess(_client, box, sessionId, started.CmdId, _options, _time, whenFull, _logger, sandboxId);
        var set = _processes.GetOrAdd(sandboxId, _ => new());
        set[process] = 0;
        _ = process.Exited.ContinueWith(t =>
        {
            set.TryRemove(process, out _);
            DaytonaLog.ProcessExited(_logger, sandboxId, sessionId, t.IsCompletedSuccessfully ? t.Result : -1);
        }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        DaytonaLog.ProcessStarted(_logger, sandboxId, sessionId, spec.Command[0]);
        return process;
    }
}
