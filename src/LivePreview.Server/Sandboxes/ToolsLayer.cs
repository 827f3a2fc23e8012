using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;

namespace LivePreview.Sandboxes;

/// <summary>
/// What one tools layer is: a pinned <c>tools/&lt;Name&gt;/package.json</c> + <c>package-lock.json</c> (embedded in the
/// build, so a published service has them), installed once into <c>&lt;root&gt;/&lt;hash of the lock&gt;/</c> and bound
/// read-only into every sandbox at <see cref="SandboxPath"/>. The CLI agents' layer and the package managers' layer are two.
/// </summary>
/// <param name="Name">The folder under <c>tools/</c> (and the embedded resources' prefix), e.g. <c>agents</c>.</param>
/// <param name="Title">For messages: "the {Title} layer", e.g. <c>agent tools</c>.</param>
/// <param name="SandboxPath">Where sandboxes see it.</param>
/// <param name="Binaries">Files relative to the layer that an install must have made (checked, never run on the host).</param>
/// <param name="RootVariable">The variable <c>scripts/setup.sh</c> reads for its root (the service reads it too).</param>
/// <param name="RootSetting">The setting (as an environment variable) that points the service at another root.</param>
/// <param name="InstallOnStartSetting">The setting (as an environment variable) that installs the layer at start.</param>
public sealed record ToolsLayerSpec(string Name, string Title, string SandboxPath, IReadOnlyList<string> Binaries,
    string RootVariable, string RootSetting, string InstallOnStartSetting)
{
    /// <summary>The root of a configured value, else of <see cref="RootVariable"/>, else <paramref name="defaultRoot"/>; relative ones under <paramref name="dataDirectory"/>.</summary>
    public string ResolveRoot(string? configured, string defaultRoot, string dataDirectory) =>
        Path.GetFullPath(
            !string.IsNullOrWhiteSpace(configured) ? configured
            : Environment.GetEnvironmentVariable(RootVariable) is { Length: > 0 } fromSetup ? fromSetup
            : defaultRoot,
            Path.GetFullPath(dataDirectory));
}

/// <summary>
/// A tools layer on this host (see <see cref="ToolsLayerSpec"/>): a new pin is a new folder, so a running sandbox never
/// sees its tools change. <see cref="InstallAsync"/> runs <c>npm ci --ignore-scripts</c> of the pinned lock into a staging
/// folder and moves it into place once every binary is there; <c>scripts/setup.sh</c> does the same (and runs each
/// binary's <c>--version</c>).
/// </summary>
public class ToolsLayer(ToolsLayerSpec spec, string root, string npmCommand, TimeSpan installTimeout, bool installOnStart, ILogger logger)
{
    private static readonly ConcurrentDictionary<string, (byte[] PackageJson, byte[] LockFile, string Hash)> PinnedByName = new();
    private readonly SemaphoreSlim _installing = new(1, 1);

    public ToolsLayerSpec Spec => spec;

    /// <summary>First 16 hex digits of the pinned lock file's SHA-256; <c>scripts/setup.sh</c> computes the same.</summary>
    public string LockHash => Pinned(spec.Name).Hash;

    /// <summary>The first 16 hex digits of the SHA-256 of the embedded <c>tools/&lt;name&gt;/package-lock.json</c>.</summary>
    public static string HashOf(string name) => Pinned(name).Hash;

    /// <summary>The folder holding one layer per pinned lock.</summary>
    public string Root => root;

    /// <summary>The installed layer.</summary>
    public string Directory => Path.Combine(Root, LockHash);

    public bool InstallOnStart => installOnStart;

    public bool IsInstalled => File.Exists(Path.Combine(Directory, ".complete"));

    /// <summary>What is missing; null when installed.</summary>
    public string? Problem => IsInstalled ? null
        : $"The {spec.Title} layer is not installed in {Directory}. Run scripts/setup.sh (with {spec.RootVariable} set to {Root}), "
          + $"or set {spec.InstallOnStartSetting}=true, or point {spec.RootSetting} at an installed root.";

    /// <summary>Runs <c>npm ci</c> of the pinned lock into a fresh folder and moves it into place when it works.</summary>
    public async Task InstallAsync(Func<string, Task> onLine, CancellationToken cancellationToken)
    {
        await _installing.WaitAsync(cancellationToken);
        try
        {
            if (IsInstalled)
            {
                return;
            }
            var pinned = Pinned(spec.Name);
            System.IO.Directory.CreateDirectory(Root);
            var staging = Path.Combine(Root, $".{LockHash}.{Guid.NewGuid():N}");
            System.IO.Directory.CreateDirectory(staging);
            try
            {
                await File.WriteAllBytesAsync(Path.Combine(staging, "package.json"), pinned.PackageJson, cancellationToken);
                await File.WriteAllBytesAsync(Path.Combine(staging, "package-lock.json"), pinned.LockFile, cancellationToken);
                // --ignore-scripts: the pins need none, and npm runs nothing else; the service never runs the layer's
                // binaries on the host (they run in sandboxes), so it only checks they are there.
                await RunAsync(staging, [npmCommand, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], onLine, cancellationToken);
                foreach (var binary in spec.Binaries)
                {
                    if (!File.Exists(Path.Combine(staging, binary)))
                    {
                        throw new InvalidOperationException($"npm ci did not install {binary}; is this machine linux-x64?");
                    }
                }
                await File.WriteAllTextAsync(Path.Combine(staging, ".complete"), LockHash, cancellationToken);
                if (System.IO.Directory.Exists(Directory))
                {
                    System.IO.Directory.Delete(Directory, recursive: true);
                }
                System.IO.Directory.Move(staging, Directory);
                ToolsLayerLog.Installed(logger, spec.Title, Directory);
            }
            finally
            {
                if (System.IO.Directory.Exists(staging))
                {
                    System.IO.Directory.Delete(staging, recursive: true);
                }
            }
        }
        finally
        {
            _installing.Release();
        }
    }

    private async Task RunAsync(string workingDirectory, string[] command, Func<string, Task> onLine, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(command[0])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }
        // npm gets what it needs and none of the service's secrets (model keys live in this process's environment).
        start.Environment.Clear();
        foreach (var name in (string[])["PATH", "HOME", "LANG", "npm_config_registry", "npm_config_cache", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"])
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                start.Environment[name] = value;
            }
        }
        using var timeout = new CancellationTokenSource(installTimeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{command[0]} did not start.");
        try
        {
            var tail = new Queue<string>();
            async Task Pump(StreamReader reader)
            {
                while (await reader.ReadLineAsync(linked.Token) is { } line)
                {
                    lock (tail)
                    {
                        tail.Enqueue(line);
                        if (tail.Count > 8)
                        {
                            tail.Dequeue();
                        }
                    }
                    await onLine(line);
                }
            }
            await Task.WhenAll(Pump(process.StandardOutput), Pump(process.StandardError));
            await process.WaitForExitAsync(linked.Token);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{Path.GetFileName(command[0])} {string.Join(' ', command.Skip(1))} failed with exit code {process.ExitCode}: {string.Join(" | ", tail)}");
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static (byte[] PackageJson, byte[] LockFile, string Hash) Pinned(string name) => PinnedByName.GetOrAdd(name, static name =>
    {
        static byte[] Read(string resource)
        {
            using var stream = typeof(ToolsLayer).Assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"The build did not embed {resource}.");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
        var lockFile = Read($"tools/{name}/package-lock.json");
        return (Read($"tools/{name}/package.json"), lockFile, Convert.ToHexStringLower(SHA256.HashData(lockFile))[..16]);
    });
}

/// <summary>
/// An installed tools layer bound read-only into every sandbox at its <see cref="ToolsLayerSpec.SandboxPath"/>. bubblewrap
/// binds as the sandbox's unprivileged host user, so the layer is offered only when that user can reach it (every folder
/// above it searchable by others, as <c>scripts/setup.sh</c> leaves <c>/opt/livepreview/tools/*</c>): a layer in a private
/// data directory would otherwise fail every sandbox launch.
/// </summary>
public class ToolsLayerMount(ToolsLayer layer) : ISandboxReadOnlyLayer
{
    public string SandboxPath => layer.Spec.SandboxPath;

    public string? HostDirectory => layer.IsInstalled && IsReachableByOthers(layer.Directory) ? layer.Directory : null;

    /// <summary>Why the layer is not bound; null when it is.</summary>
    public string? Problem => layer.Problem
        ?? (HostDirectory is null
            ? $"The {layer.Spec.Title} layer in {layer.Directory} cannot be bound into sandboxes: the sandbox user must be able to read it and enter every folder above it (chmod -R a+rX, or set {layer.Spec.RootSetting} to a root outside a private folder)."
            : null);

    private static bool IsReachableByOthers(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }
        var current = new DirectoryInfo(directory);
        if ((File.GetUnixFileMode(current.FullName) & (UnixFileMode.OtherRead | UnixFileMode.OtherExecute)) != (UnixFileMode.OtherRead | UnixFileMode.OtherExecute))
        {
            return false;
        }
        for (var parent = current.Parent; parent is not null; parent = parent.Parent)
        {
            if ((File.GetUnixFileMode(parent.FullName) & UnixFileMode.OtherExecute) == 0)
            {
                return false;
            }
        }
        return true;
    }
}

/// <summary>Installs a tools layer at start when its <see cref="ToolsLayer.InstallOnStart"/> is set, logging npm's progress.</summary>
internal sealed class ToolsLayerInstaller<TLayer>(TLayer layer, ILogger<TLayer> logger) : BackgroundService where TLayer : ToolsLayer
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!layer.InstallOnStart || layer.IsInstalled)
        {
            return;
        }
        try
        {
            await layer.InstallAsync(line =>
            {
                ToolsLayerLog.Installing(logger, layer.Spec.Title, layer.Directory, line);
                return Task.CompletedTask;
            }, stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            ToolsLayerLog.InstallFailed(logger, layer.Spec.Title, layer.Directory, e);
        }
    }
}

internal static partial class ToolsLayerLog
{
    [LoggerMessage(EventId = 2600, Level = LogLevel.Information, Message = "Installing the {Layer} layer into {Directory}: {Line}")]
    public static partial void Installing(ILogger logger, string layer, string directory, string line);

    [LoggerMessage(EventId = 2601, Level = LogLevel.Information, Message = "The {Layer} layer is ready in {Directory}")]
    public static partial void Installed(ILogger logger, string layer, string directory);

    [LoggerMessage(EventId = 2602, Level = LogLevel.Error, Message = "The {Layer} layer could not be installed into {Directory}")]
    public static partial void InstallFailed(ILogger logger, string layer, string directory, Exception exception);
}
