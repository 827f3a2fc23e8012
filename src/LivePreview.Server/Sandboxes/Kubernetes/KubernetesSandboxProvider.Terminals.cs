namespace LivePreview.Sandboxes.Kubernetes;

/// <summary>
/// Terminals: one exec with <c>tty=true</c>, <c>stdin=true</c> (the TTY is the container runtime's, inside the pod), running a
/// login shell in the workspace as the pod's user, with the pod's environment plus the sandbox's variables — exactly what a
/// process gets (<see cref="SandboxEnvironments"/>), never anything of the service's own.
/// </summary>
internal sealed partial class KubernetesSandboxProvider
{
    public async Task<ISandboxTerminal> StartTerminalAsync(string sandboxId, SandboxTerminalSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var variables = new Dictionary<string, string>(spec.Environment ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            ["TERM"] = "xterm-256color",
            ["COLORTERM"] = "truecolor",
        };
        var environment = await _environments.MergeAsync(sandboxId, null, new SandboxProcessSpec(["sh"], variables), cancellationToken);
        var pidFile = $"/tmp/.livepreview-{Guid.NewGuid():N}.session";
        var exec = await ExecAsync(sandboxId, ExecCommand.Terminal(_options.WorkspaceDirectory, environment, pidFile), cancellationToken, tty: true);
        var terminal = new KubernetesSandboxTerminal(exec, () => KillSessionAsync(sandboxId, pidFile), _options.KillTimeout);
        Register(sandboxId, terminal, terminal.KillAsync, terminal.Exited, code => KubernetesLog.TerminalExited(_logger, sandboxId, code));
        // As kubectl does: the first size right after the stream opens (a runtime starts a TTY at 0x0).
        terminal.Resize(spec.Columns, spec.Rows);
        KubernetesLog.TerminalStarted(_logger, sandboxId);
        return terminal;
    }

    private async Task KillSessionAsync(string sandboxId, string pidFile)
    {
        using var exec = await ExecAsync(sandboxId, ["sh", "-c", ExecCommand.KillSession, "lp", pidFile], CancellationToken.None);
        await exec.Exited.WaitAsync(_options.KillTimeout);
    }
}
