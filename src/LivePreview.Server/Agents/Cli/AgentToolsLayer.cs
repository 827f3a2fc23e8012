using System.Diagnostics;
using System.Security.Cryptography;
using LivePreview.Hosting;
using Microsoft.Extensions.Options;

namespace LivePreview.Agents.Cli;

/// <summary>
/// The CLI agents (Claude Code, OpenCode) installed once from the pinned <c>tools/agents</c> lock file into
/// <c>&lt;ToolsRoot&gt;/&lt;hash of the lock&gt;/</c>, to be bound read-only into sandboxes: a new pin is a new
/// folder, so a running sandbox never sees its tools change. The pins are the native linux-x64 packages
/// (<c>@anthropic-ai/claude-code-linux-x64</c>, <c>opencode-linux-x64</c>): single binaries, no install scripts,
/// nothing fetched from anywhere but the npm registry. The wrapper packages are not used: their lock files name
/// every platform's build, and <c>npm ci</c> fails where a registry mirror lacks one.
/// </summary>
public sealed class AgentToolsLayer(IOptions<CliAgentOptions> options, IOptions<LivePreviewOptions> host, ILogger<AgentToolsLayer> logger)
{
    private static readonly Lazy<(byte[] PackageJson, byte[] LockFile, string Hash)> Pinned = new(LoadPinned);
    private readonly SemaphoreSlim _installing = new(1, 1);

    /// <summary>First 16 hex digits of the lock file's SHA-256; <c>scripts/setup.sh</c> computes the same.</summary>
    public static string Hash => Pinned.Value.Hash;

    /// <summary>The tools root (<see cref="CliAgentOptions.ToolsRoot"/>); a relative one is under the data directory.</summary>
    public string Root => Path.GetFullPath(options.Value.ResolveToolsRoot(), Path.GetFullPath(host.Value.DataDirectory));

    /// <summary>The installed layer.</summary>
    public string Directory => Path.Combine(Root, Hash);

    /// <summary>Claude Code's binary, relative to the layer.</summary>
    public const string ClaudeCodeBinary = "node_modules/@anthropic-ai/claude-code-linux-x64/claude";

    /// <summary>OpenCode's binary, relative to the layer.</summary>
    public const string OpenCodeBinary = "node_modules/opencode-linux-x64/bin/opencode";

    public bool IsInstalled => File.Exists(Path.Combine(Directory, ".complete"));

    /// <summary>What is missing, for <see cref="IAgentAdapter.CheckAvailability"/>; null when installed.</summary>
    public string? Problem => IsInstalled ? null
        : $"The agent tools layer is not installed in {Directory}. Run scripts/setup.sh (with LIVEPREVIEW_AGENT_TOOLS_ROOT set to {Root}), "
          + "or set LivePreview__Agents__Cli__InstallOnStart=true, or point LivePreview__Agents__Cli__ToolsRoot at an installed root.";

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
            System.IO.Directory.CreateDirectory(Root);
            var staging = Path.Combine(Root, $".{Hash}.{Guid.NewGuid():N}");
            System.IO.Directory.CreateDirectory(staging);
            try
            {
                await File.WriteAllBytesAsync(Path.Combine(staging, "package.json"), Pinned.Value.PackageJson, cancellationToken);
                await File.WriteAllBytesAsync(Path.Combine(staging, "package-lock.json"), Pinned.Value.LockFile, cancellationToken);
                // --ignore-scripts: the pins have none, and npm runs nothing else; the service itself never runs the
                // agents' binaries on the host (they run in sandboxes), so it only checks they are there.
                await RunAsync(staging, [options.Value.NpmCommand, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], onLine, cancellationToken);
                foreach (var binary in (string[])[ClaudeCodeBinary, OpenCodeBinary])
                {
                    if (!File.Exists(Path.Combine(staging, binary)))
                    {
                        throw new InvalidOperationException($"npm ci did not install {binary}; is this machine linux-x64?");
                    }
                }
                await File.WriteAllTextAsync(Path.Combine(staging, ".complete"), Hash, cancellationToken);
                if (System.IO.Directory.Exists(Directory))
                {
                    System.IO.Directory.Delete(Directory, recursive: true);
                }
                System.IO.Directory.Move(staging, Directory);
                CliAgentLog.Installed(logger, Directory);
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
        using var timeout = new CancellationTokenSource(options.Value.InstallTimeout);
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

    private static (byte[], byte[], string) LoadPinned()
    {
        static byte[] Read(string name)
        {
            using var stream = typeof(AgentToolsLayer).Assembly.GetManifestResourceStream(name)
                ?? throw new InvalidOperationException($"The build did not embed {name}.");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
        var lockFile = Read("tools/agents/package-lock.json");
        return (Read("tools/agents/package.json"), lockFile, Convert.ToHexStringLower(SHA256.HashData(lockFile))[..16]);
    }
}

/// <summary>Installs the tools layer at start when <see cref="CliAgentOptions.InstallOnStart"/> is set, logging npm's progress.</summary>
internal sealed class AgentToolsInstaller(AgentToolsLayer layer, IOptions<CliAgentOptions> options, ILogger<AgentToolsInstaller> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.InstallOnStart || layer.IsInstalled)
        {
            return;
        }
        try
        {
            await layer.InstallAsync(line =>
            {
                CliAgentLog.Installing(logger, layer.Directory, line);
                return Task.CompletedTask;
            }, stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            CliAgentLog.InstallFailed(logger, layer.Directory, e);
        }
    }
}
