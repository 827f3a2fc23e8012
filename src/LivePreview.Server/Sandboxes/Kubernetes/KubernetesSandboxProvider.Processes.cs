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
        var set = _processes.GetOrAdd(sandboxId, _ => new());
        set[process] = 0;
        _ = process.Exited.ContinueWith(t =>
        {
            set.TryRemove(process, out _);
            KubernetesLog.ProcessExited(_logger, sandboxId, t.IsCompletedSuccessfully ? t.Result : -1);
        }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        KubernetesLog.ProcessStarted(_logger, sandboxId, spec.Command[0]);
        return process;
    }

    private async Task KillGroupAsync(string sandboxId, string pidFile)
    {
        using var exec = await ExecAsync(sandboxId, ["sh", "-c", ExecCommand.KillGroup, "lp", pidFile], CancellationToken.None);
        await exec.Exited.WaitAsync(_options.KillTimeout);
    }
}
