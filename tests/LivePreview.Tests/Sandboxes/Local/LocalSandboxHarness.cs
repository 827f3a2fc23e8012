using System.Diagnostics;
using LivePreview.Hosting;
using LivePreview.Sandboxes;
using LivePreview.Sandboxes.Local;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LivePreview.Tests.Sandboxes.Local;

/// <summary>
/// A provider on a temporary root, a tiny snapshot holding a node HTTP server, and a teardown that
/// removes everything a test made — mounts, network namespaces, cgroups, processes, folders — even
/// when the test failed half-way.
/// </summary>
internal sealed class LocalSandboxHarness : IAsyncDisposable
{
    public const string ServerScript = """
        const http = require('http');
        const fs = require('fs');
        const port = Number(process.argv[2]);
        http.createServer((req, res) => {
          let name = 'unnamed';
          try { name = fs.readFileSync('name.txt', 'utf8').trim(); } catch {}
          res.end(name);
        }).listen(port, '0.0.0.0', () => console.log('listening on ' + port));
        """;

    private readonly List<string> _created = [];
    private readonly bool _ownFirewallTable;

    /// <param name="ownFirewallTable">
    /// Load the sandbox firewall as a table of this harness's own (deleted at the end) rather than the
    /// machine-wide one, for tests that assert on it or that other runs' reloads must not disturb.
    /// </param>
    public LocalSandboxHarness(string subnetPrefix, Action<LocalSandboxOptions>? configure = null, bool ownFirewallTable = false)
    {
        Directory = Path.Join(Path.GetTempPath(), $"lp-local-{Guid.NewGuid():N}");
        Snapshot = Path.Join(Directory, "snapshot");
        Root = Path.Join(Directory, "data", "sandboxes");
        System.IO.Directory.CreateDirectory(Path.Join(Snapshot, "src"));
        File.WriteAllText(Path.Join(Snapshot, "server.js"), ServerScript);
        File.WriteAllText(Path.Join(Snapshot, "src", "App.tsx"), "export const App = () => 'snapshot';\n");
        Options = new LocalSandboxOptions { Root = Root, SubnetPrefix = subnetPrefix, KillTimeout = TimeSpan.FromSeconds(5) };
        _ownFirewallTable = ownFirewallTable;
        if (ownFirewallTable)
        {
            Options.FirewallTable = NewFirewallTable();
        }
        configure?.Invoke(Options);
        Provider = NewProvider();
    }

    /// <summary>Everything the test makes on disk lives below this folder.</summary>
    public string Directory { get; }
    public string Snapshot { get; }
    public string Root { get; }
    public LocalSandboxOptions Options { get; }
    public LocalSandboxProvider Provider { get; private set; }

    /// <summary>A firewall table name no other test or run uses (nft table names are global to the machine).</summary>
    public static string NewFirewallTable() => $"lpt_{Guid.NewGuid():N}"[..20];

    public static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token;

    /// <summary>Read-only layers the next provider binds into every sandbox (<see cref="NewProvider"/>, <see cref="RestartAsync"/>).</summary>
    public List<ISandboxReadOnlyLayer> Layers { get; } = [];

    public LocalSandboxProvider NewProvider() =>
        new(Microsoft.Extensions.Options.Options.Create(Options), Microsoft.Extensions.Options.Options.Create(new LivePreviewOptions()),
            TimeProvider.System, NullLogger<LocalSandboxProvider>.Instance, layers: Layers);

    /// <summary>Simulates a service restart: the old provider's processes die, a new one takes over the same root.</summary>
    public async Task RestartAsync()
    {
        await Provider.DisposeAsync();
        Provider = NewProvider();
    }

    /// <summary>A fresh id that teardown will clean up after, whatever happens to it.</summary>
    public string NewId()
    {
        var id = SandboxId.New();
        _created.Add(id);
        return id;
    }

    public async Task<string> CreateAsync()
    {
        var id = NewId();
        await Provider.CreateAsync(new SandboxSpec(id, Snapshot), Timeout);
        return id;
    }

    public Task<SandboxCommandResult> RunAsync(string id, params string[] command) =>
        Provider.RunCommandAsync(id, new SandboxProcessSpec(command), TimeSpan.FromSeconds(15), Timeout);

    public Task<SandboxCommandResult> NodeAsync(string id, string script) => RunAsync(id, "node", "-e", script);

    /// <summary>Starts server.js on the port and waits for its "listening" line.</summary>
    public async Task<ISandboxProcess> StartServerAsync(string id, int port)
    {
        var process = await Provider.StartProcessAsync(id, new SandboxProcessSpec(["node", "server.js", port.ToString()]), Timeout);
        var seen = new List<string>();
        await foreach (var line in process.ReadOutputAsync(Timeout))
        {
            seen.Add(line);
            if (line.StartsWith("listening on", StringComparison.Ordinal))
            {
                return process;
            }
        }
        throw new InvalidOperationException($"The server exited with {await process.Exited}: {string.Join('\n', seen)}");
    }

    /// <summary>
    /// Starts a node process whose child shell starts two grandchildren in a session of their own;
    /// returns the marker that starts the grandchildren's command lines (and nothing else's).
    /// </summary>
    public async Task<(ISandboxProcess Process, string Marker)> StartTreeAsync(string id)
    {
        var suffix = Random.Shared.Next(10000, 99999).ToString();
        var script = $$"""
            const { spawn } = require('child_process');
            const seconds = ['1000', '{{suffix}}'].join('.');
            spawn('sh', ['-c', `sleep ${seconds} & sleep ${seconds} & wait`], { stdio: 'ignore', detached: true });
            setInterval(() => {}, 1000);
            """;
        var process = await Provider.StartProcessAsync(id, new SandboxProcessSpec(["node", "-e", script]), Timeout);
        var marker = $"sleep 1000.{suffix}";
        // Generous: node starts slowly on a loaded two-core machine under the sandbox's CPU quota.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && HostProcessesWith(marker).Count < 2)
        {
            await Task.Delay(20);
        }
        Assert.Equal(2, HostProcessesWith(marker).Count);
        return (process, marker);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var id in _created)
        {
            await Try(() => Provider.DeleteAsync(id, CancellationToken.None));
        }
        await Try(async () => await Provider.DisposeAsync());
        foreach (var id in _created)
        {
            // Belt and braces for a provider that failed half-way: nothing may outlive the test run.
            await Try(() => Task.Run(() => HomeBind.Remove(Root, id)));
            await Try(() => Task.Run(() => WorkspaceBind.Remove(Root, id)));
            await Try(() => Task.Run(() => OverlayMount.Unmount(Path.Join(Root, id, "merged"))));
            await Try(() => Task.Run(() => WorkspaceDisk.Unmount(new SandboxLayout(Root, id))));
            await Try(() => RunHostAsync("ip", "netns", "delete", $"lp-{id}"));
            await Try(() => RunHostAsync("ip", "link", "delete", $"lph{id}"));
            await Try(() => CgroupLimits.RemoveAsync(id));
        }
        await Try(() => Task.Run(() => System.IO.Directory.Delete(Directory, recursive: true)));
        await Try(() => Task.Run(() => System.IO.Directory.Delete(WorkspaceBind.FolderFor(Root))));
        if (_ownFirewallTable)
        {
            await Try(() => new SandboxFirewall(Options, NullLogger.Instance).DeleteAsync(CancellationToken.None));
        }
    }

    public static async Task<string> RunHostAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }

    /// <summary>Host pids whose command line starts with the marker.</summary>
    public static List<int> HostProcessesWith(string marker) =>
        System.IO.Directory.EnumerateDirectories("/proc")
            .Select(d => (Pid: int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0, Dir: d))
            .Where(p => p.Pid > 0 && ReadCommandLine(p.Dir).StartsWith(marker, StringComparison.Ordinal))
            .Select(p => p.Pid).ToList();

    private static string ReadCommandLine(string processDirectory)
    {
        try
        {
            return File.ReadAllText(Path.Join(processDirectory, "cmdline")).Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static async Task Try(Func<Task> cleanup)
    {
        try
        {
            await cleanup();
        }
        catch (Exception)
        {
            // Cleanup is best effort; the assertions already reported what went wrong.
        }
    }
}
