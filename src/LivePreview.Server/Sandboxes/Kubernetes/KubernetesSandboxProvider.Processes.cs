namespace LivePreview.Sandboxes.Kubernetes;

/// <summary>Processes through exec: one exec per process, supervised by <see cref="ExecCommand"/>.</summary>
internal sealed partial class KubernetesSandboxProvider
{
    public async Task<ISandboxProcess> StartProcessAsync(string sandboxId, SandboxProcessSpec spec, CancellationToken cancellationToken) =>
        await StartAsync(sandboxId, spec, cancellationToken);

    public async Task<SandboxCommandResult> RunCommandAsync(string sandboxId, SandboxProcessSpec spec, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        await using var process = await StartAsync(sandboxId, spec with { LosslessOutput = true }, cancellationToken);
        return await SandboxCommandRun.CompleteAsync(process, _options.CommandOutputLimitBytes, timeout, cancellationToken);
    }

    private async Task<KubernetesSandboxProcess> StartAsync(string sandboxId, SandboxProcessSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        // No listener inside a pod's network from here: environments get no network.
        var environment = await _environments.MergeAsync(sandboxId, null, spec, cancellationToken);
        var directory = spec.WorkingDirectory is { Length: > 0 } sub
            ? $"{_options.WorkspaceDirectory.TrimEnd('/')}/{Local.RelativePath.Normalize(sub)}"
            : _options.WorkspaceDirectory;
        var pidFile = spec.OpenInput ? $"/tmp/.livepreview-{Guid.NewGuid():N}.pid" : null;
        var command = ExecCommand.Build(spec, directory, environment, pidFile);
        var exec = await ExecAsync(sandboxId, command, cancellationToken);
        var process = new KubernetesSandboxProcess(exec, spec, _options.OutputBufferLines, _options.KillTimeout,
            pidFile is null ? null : () => KillGroupAsync(sandboxId, pidFile));
        Register(sandboxId, process, process.KillAsync, process.Exited, code => KubernetesLog.ProcessExited(_logger, sandboxId, code));
        KubernetesLog.ProcessStarted(_logger, sandboxId, spec.Command[0]);
        return process;
    }

    /// <summary>Stop and Delete kill it until it has exited.</summary>
    private void Register(string sandboxId, object owned, Func<Task> kill, Task<int> exited, Action<int> onExit)
    {
        var set = _processes.GetOrAdd(sandboxId, _ => new());
        set[owned] = kill;
        _ = exited.ContinueWith(t =>
        {
            set.TryRemove(owned, out _);
            onExit(t.IsCompletedSuccessfully ? t.Result : -1);
        }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    private async Task KillGroupAsync(string sandboxId, string pidFile)
    {
        using var exec = await ExecAsync(sandboxId, ["sh", "-c", ExecCommand.KillGroup, "lp", pidFile], CancellationToken.None);
        await exec.Exited.WaitAsync(_options.KillTimeout);
    }
}
