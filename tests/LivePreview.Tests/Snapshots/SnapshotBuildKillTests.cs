using System.Diagnostics;
using System.Text.RegularExpressions;
using LivePreview.Hosting;
using LivePreview.Sandboxes.Local;
using LivePreview.Tests.Sandboxes.Local;
using LivePreview.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LivePreview.Tests.Snapshots;

/// <summary>The real service, as a child process, building a snapshot: SIGKILL it during npm ci and nothing of the build may keep running.</summary>
[Collection(ServiceCollection.Name)]
public sealed partial class SnapshotBuildKillTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("livepreview-kill-test-").FullName;
    private readonly string _table = LivePreview.Tests.Sandboxes.Local.LocalSandboxHarness.NewFirewallTable();
    private readonly string _subnetPrefix = "10.239";
    private string? _sandboxId;

    public Task InitializeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Killing_the_service_during_npm_ci_leaves_no_process_of_the_build_behind()
    {
        using var service = StartService("react-vite");
        _sandboxId = await WaitForBuildSandboxAsync(service);
        var before = await WaitForAsync(async () => (await SandboxedBuildProcesses.InSandboxAsync(_sandboxId))
            .Where(pid => SandboxedBuildProcesses.Read(pid, "cmdline").Contains("npm", StringComparison.Ordinal)).ToList() is { Count: > 0 } npm ? npm : null);

        // Let bubblewrap's pid 1 finish setting itself up: it arms its parent-death signal only after it has
        // forked the command, so a kill in that first instant (bwrap 0.8 does not re-check its parent)
        // would leave it running. A restart's reconciliation kills what is left in the sandbox's cgroup.
        await Task.Delay(TimeSpan.FromSeconds(1));
        service.Kill();
        await service.WaitForExitAsync();

        await WaitForAsync(async () => await SandboxedBuildProcesses.InSandboxAsync(_sandboxId!) is { Count: 0 } none ? none : null, orLast: true);
        Assert.NotEmpty(before!);
        var left = await SandboxedBuildProcesses.InSandboxAsync(_sandboxId);
        Assert.True(left.Count == 0, "left running: " + string.Join("; ", left.Select(pid =>
            $"{pid}: {SandboxedBuildProcesses.Read(pid, "cmdline").Replace('\n', ' ').Trim()} [{string.Join(", ", SandboxedBuildProcesses.Read(pid, "status").Split('\n').Where(l => l.StartsWith("State:") || l.StartsWith("PPid:") || l.StartsWith("NSpid:")))}]")));
    }

    public async Task DisposeAsync()
    {
        // The killed service left its sandbox (mount, network, folder) for a next start to clean up; do that here.
        var options = new LocalSandboxOptions { Root = Path.Combine(_directory, "data", "sandboxes"), SubnetPrefix = _subnetPrefix, FirewallTable = _table };
        await using (var provider = new LocalSandboxProvider(Options.Create(options), Options.Create(new LivePreviewOptions()), TimeProvider.System, NullLogger<LocalSandboxProvider>.Instance))
        {
            foreach (var id in await provider.ListAsync(CancellationToken.None))
            {
                await provider.DeleteAsync(id, CancellationToken.None);
            }
        }
        await LocalSandboxHarness.RunHostAsync("nft", "delete", "table", "inet", _table);
        Directory.Delete(_directory, recursive: true);
    }

    private Process StartService(string framework)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])[Path.Combine(AppContext.BaseDirectory, "livepreview.dll"), "snapshots", "build", framework])
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["LivePreview__DataDirectory"] = Path.Combine(_directory, "data");
        start.Environment["LivePreview__Snapshots__Root"] = Path.Combine(_directory, "snapshots");
        start.Environment["LivePreview__TemplatesDirectory"] = Path.Combine(LivePreviewHost.RepositoryRoot, "templates");
        start.Environment["LivePreview__Sandboxes__Local__SubnetPrefix"] = _subnetPrefix;
        start.Environment["LivePreview__Sandboxes__Local__FirewallTable"] = _table;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>The CLI prints "[react-vite] Installing packages (npm ci) in sandbox {id}"; the rest of its output is drained.</summary>
    private static async Task<string> WaitForBuildSandboxAsync(Process service)
    {
        var seen = new List<string>();
        while (await service.StandardOutput.ReadLineAsync() is { } line)
        {
            seen.Add(line);
            if (BuildSandbox().Match(line) is { Success: true } match)
            {
                _ = service.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
                return match.Groups[1].Value;
            }
        }
        throw new InvalidOperationException($"The build never reached npm ci:\n{string.Join('\n', seen)}");
    }

    /// <summary>Polls (bounded, so a hang fails instead of blocking); with <paramref name="orLast"/> the last value is returned when time runs out.</summary>
    private static async Task<T?> WaitForAsync<T>(Func<Task<T?>> probe, bool orLast = false) where T : class
    {
        for (var i = 0; i < 600; i++)
        {
            if (await probe() is { } value)
            {
                return value;
            }
            await Task.Delay(50);
        }
        return orLast ? default : throw new TimeoutException("The condition did not come true in time.");
    }

    [GeneratedRegex(@"Installing packages \(npm ci\) in sandbox ([a-z0-9]{12})")]
    private static partial Regex BuildSandbox();
}
