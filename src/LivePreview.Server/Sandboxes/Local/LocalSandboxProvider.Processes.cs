using System.Diagnostics;
using System.Threading.Channels;

namespace LivePreview.Sandboxes.Local;

/// <summary>Starting processes inside a sandbox: <c>ip netns exec lp-{id} bwrap … -- command</c>.</summary>
internal sealed partial class LocalSandboxProvider
{
    private readonly SandboxHardening _hardening;

    public async Task<ISandboxProcess> StartProcessAsync(string sandboxId, SandboxProcessSpec spec, CancellationToken cancellationToken) =>
        // A dev server nobody is reading must never block on a full pipe: old lines are dropped instead. A caller
        // that always reads (commands keep every byte they count) asks for LosslessOutput: the process then waits for it.
        await StartAsync(sandboxId, spec, _options.OutputBufferLines, spec?.LosslessOutput == true ? BoundedChannelFullMode.Wait : BoundedChannelFullMode.DropOldest, cancellationToken);

    public async Task<SandboxCommandResult> RunCommandAsync(string sandboxId, SandboxProcessSpec spec, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await using var process = await StartAsync(sandboxId, spec, _options.OutputBufferLines, BoundedChannelFullMode.Wait, cancellationToken);
        return await SandboxCommandRun.CompleteAsync(process, _options.CommandOutputLimitBytes, timeout, cancellationToken);
    }

    /// <param name="wrap">Rewrites the command on the launcher thread with descriptors it hands down (a terminal's slave); null: the command as given.</param>
    private async Task<LocalSandboxProcess> StartAsync(string sandboxId, SandboxProcessSpec spec, int outputLines, BoundedChannelFullMode whenFull, CancellationToken cancellationToken,
        Func<InheritedFiles, SandboxProcessSpec, SandboxProcessSpec>? wrap = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Command.Count == 0)
        {
            throw new ArgumentException("The command is empty.", nameof(spec));
        }
        Record(sandboxId);
        _hardening.ThrowIfUnusable();
        var layout = Layout(sandboxId);
        using var held = await LockAsync(sandboxId, cancellationToken);
        if (!OverlayMount.IsMounted(layout.Merged) || !WorkspaceBind.IsMounted(_root, layout.Id) || !NetworkNamespace.IsComplete(layout))
        {
            throw new InvalidOperationException($"Sandbox '{sandboxId}' is not attached (workspace or network missing); attach it first.");
        }
        spec = await WithEnvironmentAsync(sandboxId, spec, cancellationToken);
        var groups = CgroupLimits.Existing(sandboxId);
        var go = new GoSignal(groups.Count > 0);
        Process launcher;
        try
        {
            launcher = await _launcher.StartAsync(LaunchInfo(layout, spec, go, wrap));
        }
        catch
        {
            go.Dispose();
            throw;
        }
        var init = await PidNamespaceInit.FindAsync(launcher, _options.KillTimeout);
        Release(launcher, init, groups, go, spec.OpenInput);
        var process = new LocalSandboxProcess(launcher, init, outputLines, whenFull, _options.KillTimeout, spec.OpenInput, spec.SeparateErrors);
        _processes.Add(sandboxId, process);
        LocalSandboxLog.ProcessStarted(_logger, sandboxId, process.ProcessId, string.Join(' ', spec.Command));
        _ = process.Exited.ContinueWith(
            t => LocalSandboxLog.ProcessExited(_logger, sandboxId, process.ProcessId, t.IsCompletedSuccessfully ? t.Result : -1),
            CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        return process;
    }

    /// <summary>The read-only layers there are now (a tools layer installed while the service runs is bound from the next launch on).</summary>
    private List<(string Host, string Sandbox)> ReadOnlyLayers() =>
        [.. _layers.Select(l => (l.HostDirectory, l.SandboxPath)).Where(l => l.HostDirectory is not null).Select(l => (l.HostDirectory!, l.SandboxPath))];

    /// <summary>
    /// The spec with the service's sandbox variables (<see cref="ISandboxEnvironment"/>) under the caller's own:
    /// every launch comes through here, so every sandbox process has them.
    /// </summary>
    private async Task<SandboxProcessSpec> WithEnvironmentAsync(string sandboxId, SandboxProcessSpec spec, CancellationToken cancellationToken) =>
        _environments.Length == 0 ? spec : spec with { Environment = await _environments.MergeAsync(sandboxId, this, spec, cancellationToken) };

    /// <summary>
    /// Moves the launcher and the namespace's init into the sandbox's cgroups, then lets bwrap go on.
    /// bwrap blocks on one byte from its go pipe (<c>--block-fd</c>, see <see cref="GoSignal"/>) before
    /// it forks the command, so every process of the sandbox is born inside the cgroups; moving them
    /// after the start would race with the first forks. stdin is closed unless the caller asked for it
    /// (<see cref="SandboxProcessSpec.OpenInput"/>): then it belongs to the command, untouched.
    /// </summary>
    private static void Release(Process launcher, PidNamespaceInit? init, IReadOnlyList<string> groups, GoSignal go, bool openInput)
    {
        try
        {
            if (groups.Count > 0 && init is not null)
            {
                CgroupLimits.Join(groups, launcher.Id);
                CgroupLimits.Join(groups, init.ProcessId);
                go.Send();
            }
            go.Dispose();
            if (!openInput)
            {
                launcher.StandardInput.Close();
            }
        }
        catch (IOException) when (launcher.HasExited)
        {
            // bwrap failed before it blocked; its exit code and message are in the process's output.
        }
        catch
        {
            go.Dispose();
            launcher.Kill();
            throw;
        }
    }

    /// <summary>
    /// <c>ip netns exec lp-{id} setpriv --reuid=N … -- bwrap --args FD -- command</c>: ip joins the network
    /// namespace and execs setpriv, which drops from root to the host user and execs bubblewrap — one
    /// process throughout, so the launcher thread stays its parent (PDEATHSIG) and bwrap's first child
    /// is the sandbox's init. Built on the launcher thread, which holds the descriptors it hands down.
    /// </summary>
    private Func<InheritedFiles, ProcessStartInfo> LaunchInfo(SandboxLayout layout, SandboxProcessSpec given, GoSignal go,
        Func<InheritedFiles, SandboxProcessSpec, SandboxProcessSpec>? wrap) => files =>
    {
        var spec = wrap is null ? given : wrap(files, given);
        var start = new ProcessStartInfo(_options.IpPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The service's environment (API keys, tokens) must never reach a sandbox; bwrap --clearenv guards the same inside.
        start.Environment.Clear();
        var sandbox = BubblewrapArguments.Build(_options, WorkspaceBind.PathFor(_root, layout.Id), files, _hardening.Filter, spec, go.Open(files),
            HomeBind.IsMounted(_root, layout.Id) ? HomeBind.PathFor(_root, layout.Id) : null, ReadOnlyLayers());
        var optionsFd = files.Add("lp-bwrap-args", BubblewrapArguments.Encode(sandbox));
        foreach (var argument in (string[])["netns", "exec", layout.NetworkNamespace, .. BubblewrapArguments.Launcher(_options, optionsFd, spec)])
        {
            start.ArgumentList.Add(argument);
        }
        return start;
    };
}
