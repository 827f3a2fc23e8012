using System.Net;

namespace LivePreview.Sandboxes;

/// <summary>
/// Where sandboxes come from. The local provider uses Linux namespaces on this machine; Daytona and
/// Kubernetes implement the same contract. Nothing above this interface knows how a sandbox
/// is made: the proxy only asks <see cref="GetPortEndpointAsync"/>.
/// </summary>
public interface ISandboxProvider
{
    string Name { get; }

    /// <summary>
    /// Throws <see cref="SandboxUnavailableException"/> when no sandbox can be created safely now (the
    /// local provider: its firewall cannot be loaded), so a create request is refused before it is accepted.
    /// </summary>
    Task EnsureAvailableAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Creates the sandbox's workspace from a built snapshot. Idempotent for the same id.</summary>
    Task CreateAsync(SandboxSpec spec, CancellationToken cancellationToken);

    /// <summary>Re-establishes a sandbox that exists on disk after a service restart (mounts, network). False if it is gone.</summary>
    Task<bool> AttachAsync(SandboxSpec spec, CancellationToken cancellationToken);

    /// <summary>Starts a long-running process inside the sandbox. The process dies with the sandbox and with the service.</summary>
    Task<ISandboxProcess> StartProcessAsync(string sandboxId, SandboxProcessSpec spec, CancellationToken cancellationToken);

    /// <summary>
    /// Starts a login shell on a new pseudo-terminal inside the sandbox (cwd the workspace). Like a process it dies with
    /// the sandbox and with the service. Providers without terminals keep this default.
    /// </summary>
    Task<ISandboxTerminal> StartTerminalAsync(string sandboxId, SandboxTerminalSpec spec, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"The {Name} sandbox provider has no terminals.");

    /// <summary>Runs a command to completion inside the sandbox and returns its exit code and output.</summary>
    Task<SandboxCommandResult> RunCommandAsync(string sandboxId, SandboxProcessSpec spec, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>The sandbox's files. Paths given to it are already validated workspace-relative paths.</summary>
    ISandboxFileSystem Files(string sandboxId);

    /// <summary>Where the proxy connects to reach <paramref name="port"/> inside the sandbox.</summary>
    ValueTask<EndPoint> GetPortEndpointAsync(string sandboxId, int port, CancellationToken cancellationToken);

    /// <summary>Kills every process of the sandbox; the workspace stays.</summary>
    Task StopAsync(string sandboxId, CancellationToken cancellationToken);

    /// <summary>Kills every process and removes the workspace and everything the sandbox held.</summary>
    Task DeleteAsync(string sandboxId, CancellationToken cancellationToken);

    Task<SandboxHealth> GetHealthAsync(string sandboxId, CancellationToken cancellationToken);

    /// <summary>Ids of every sandbox the provider holds (running or not), for reconciling after a restart.</summary>
    Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The sandbox's memory limit and how many of its processes the kernel has killed for it so far (a counter that only
    /// grows): what tells a dev server killed by the limit from one that exited. Null when the provider cannot tell.
    /// </summary>
    ValueTask<SandboxMemoryLimit?> GetMemoryAsync(string sandboxId, CancellationToken cancellationToken) => ValueTask.FromResult<SandboxMemoryLimit?>(null);
}

/// <param name="LimitMb">The limit of all the sandbox's processes together, in MiB; 0 for none.</param>
/// <param name="OomKills">Processes of the sandbox killed by the kernel's OOM killer for that limit since the sandbox was made.</param>
public sealed record SandboxMemoryLimit(int LimitMb, long OomKills);

/// <summary>What a sandbox is made from.</summary>
/// <param name="SandboxId">A <see cref="SandboxId"/>.</param>
/// <param name="SnapshotDirectory">
/// The built snapshot (template + node_modules + warmed caches), read-only from here on; for a sandbox made from a
/// repository, the host's checkout of it (the top lower layer).
/// </param>
/// <param name="LowerDirectories">
/// Further read-only layers below <see cref="SnapshotDirectory"/>, topmost first (a repository sandbox: its dependency
/// layer); null or empty for none. Recorded with the sandbox, so an attach after a restart mounts the same stack.
/// </param>
public sealed record SandboxSpec(string SandboxId, string SnapshotDirectory, IReadOnlyList<string>? LowerDirectories = null)
{
    /// <summary>Every lower layer, topmost first.</summary>
    public IReadOnlyList<string> Layers => [SnapshotDirectory, .. LowerDirectories ?? []];
}

/// <param name="Command">Program and arguments, never a shell string.</param>
/// <param name="Environment">Extra environment variables.</param>
/// <param name="WorkingDirectory">Workspace-relative working directory; null is the workspace root.</param>
/// <param name="OpenInput">Give the command a stdin the caller writes (<see cref="ISandboxProcess.Input"/>); otherwise it reads EOF.</param>
/// <param name="LosslessOutput">Keep every output line, making the process wait for a slow reader; otherwise the oldest unread lines are dropped.</param>
/// <param name="SeparateErrors">
/// Keep stderr apart: <see cref="ISandboxProcess.ReadOutputAsync"/> yields stdout only and <see cref="ISandboxProcess.ErrorTail"/>
/// holds stderr's last lines (a CLI agent's stdout is a protocol, its stderr a diagnostic).
/// </param>
/// <param name="ExactEnvironment">
/// The process gets <see cref="Environment"/> and nothing else: neither the provider's defaults nor the service's sandbox
/// variables (<see cref="ISandboxEnvironment"/>, which are still prepared, so what they open — the gateway listener — is there).
/// </param>
public sealed record SandboxProcessSpec(
    IReadOnlyList<string> Command,
    IReadOnlyDictionary<string, string>? Environment = null,
    string? WorkingDirectory = null,
    bool OpenInput = false,
    bool LosslessOutput = false,
    bool SeparateErrors = false,
    bool ExactEnvironment = false);

public sealed record SandboxCommandResult(int ExitCode, string Output, bool TimedOut);

public sealed record SandboxHealth(bool Exists, bool Healthy, string? Detail);

/// <summary>A process running inside a sandbox.</summary>
public interface ISandboxProcess : IAsyncDisposable
{
    /// <summary>Host process id of the sandbox launcher, for diagnostics.</summary>
    int ProcessId { get; }

    /// <summary>Completes with the exit code when the process (and its process tree) has exited.</summary>
    Task<int> Exited { get; }

    /// <summary>Every line written to stdout or stderr (stdout only with <see cref="SandboxProcessSpec.SeparateErrors"/>), in order. Completes when the process exits.</summary>
    IAsyncEnumerable<string> ReadOutputAsync(CancellationToken cancellationToken);

    /// <summary>The last lines of stderr when started with <see cref="SandboxProcessSpec.SeparateErrors"/>; empty otherwise.</summary>
    string ErrorTail => "";

    /// <summary>Kills the whole process tree and waits for it to be gone.</summary>
    Task KillAsync();

    /// <summary>
    /// The command's stdin when it was started with <see cref="SandboxProcessSpec.OpenInput"/>; null
    /// otherwise (the command then reads EOF at once). Disposing it is EOF for the command.
    /// </summary>
    Stream? Input => null;
}

/// <summary>Files of one sandbox. Paths are workspace-relative, forward-slash, already validated.</summary>
public interface ISandboxFileSystem
{
    Task<Stream?> OpenReadAsync(string path, CancellationToken cancellationToken);

    /// <summary>Writes the whole file atomically (temp file + rename), creating parent directories.</summary>
    Task WriteAsync(string path, Stream content, CancellationToken cancellationToken);

    /// <summary>False if nothing was there.</summary>
    Task<bool> DeleteAsync(string path, CancellationToken cancellationToken);

    /// <summary>Null if the directory does not exist.</summary>
    Task<IReadOnlyList<SandboxFileEntry>?> ListAsync(string directory, CancellationToken cancellationToken);

    Task<SandboxFileEntry?> StatAsync(string path, CancellationToken cancellationToken);
}

public sealed record SandboxFileEntry(string Path, string Name, bool IsDirectory, long Size, DateTimeOffset ModifiedAt);

/// <summary>A path that names something outside the workspace, or no file at all.</summary>
public sealed class InvalidWorkspacePathException(string message) : Exception(message);

/// <summary>The sandbox does not exist in the provider.</summary>
public sealed class SandboxNotFoundException(string sandboxId) : Exception($"Sandbox '{sandboxId}' does not exist.")
{
    public string SandboxId { get; } = sandboxId;
}
