using System.Collections.Concurrent;
using LivePreview.Snapshots;
using LivePreview.Tests.Sandboxes.Local;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Snapshots;

/// <summary>
/// The real service builds the real react-vite snapshot (npm ci from the registry, in a sandbox) while
/// its own environment holds an API key; the snapshot serves a sandbox whose preview becomes ready,
/// and npm's environment, read from /proc while it ran, never held the key.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class SandboxedSnapshotBuildTests : IAsyncLifetime
{
    private const string FakeKey = "sk-ant-livepreview-test-not-a-real-key-7f3a";
    private static readonly string[] SecretVariables = ["ANTHROPIC_API_KEY", "LivePreview__Agents__Anthropic__ApiKey"];
    private readonly string _snapshots = Directory.CreateTempSubdirectory("livepreview-sandboxed-build-").FullName;
    private readonly string _table = LivePreview.Tests.Sandboxes.Local.LocalSandboxHarness.NewFirewallTable();
    private readonly ConcurrentDictionary<int, string> _environments = new();

    public Task InitializeAsync()
    {
        foreach (var name in SecretVariables)
        {
            Environment.SetEnvironmentVariable(name, FakeKey);
        }
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var name in SecretVariables)
        {
            Environment.SetEnvironmentVariable(name, null);
        }
        await LocalSandboxHarness.RunHostAsync("nft", "delete", "table", "inet", _table);
        Directory.Delete(_snapshots, recursive: true);
    }

    [Fact]
    public async Task A_snapshot_built_in_a_sandbox_serves_a_ready_preview_and_npm_never_saw_the_services_secrets()
    {
        await using var host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:Snapshots:Root"] = _snapshots,
            ["LivePreview:Sandboxes:Local:FirewallTable"] = _table,
        });
        Assert.Equal(FakeKey, Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY"));
        using var watching = new CancellationTokenSource();
        var watcher = WatchNpmAsync(Path.Combine(host.DataDirectory, "sandboxes"), watching.Token);

        var sandbox = await host.CreateSandboxAsync("react-vite");
        var id = sandbox.GetProperty("id").GetString()!;
        await host.WaitForPreviewAsync(id);
        await watching.CancelAsync();
        await watcher;

        var manifest = Assert.Single(host.Service<SnapshotLayout>().List());
        Assert.True(manifest.DepCacheWarmed);
        Assert.True(File.Exists(Path.Combine(manifest.Directory, "node_modules", "vite", "package.json")));
        Assert.NotEmpty(_environments);
        Assert.All(_environments.Values, environment =>
        {
            Assert.Contains("npm_config_registry=", environment, StringComparison.Ordinal);
            Assert.Contains("HTTPS_PROXY=http://127.0.0.1:", environment, StringComparison.Ordinal);
            Assert.DoesNotContain(FakeKey, environment, StringComparison.Ordinal);
            Assert.DoesNotContain("ANTHROPIC", environment, StringComparison.Ordinal);
        });
    }

    /// <summary>Reads the environment of every npm process running in a sandbox of this host while the build runs.</summary>
    private async Task WatchNpmAsync(string sandboxRoot, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var ids = Directory.Exists(sandboxRoot) ? Directory.EnumerateDirectories(sandboxRoot).Select(Path.GetFileName).OfType<string>().Where(n => n.Length == 12).ToList() : [];
            foreach (var sandboxId in ids)
            {
                foreach (var pid in await SandboxedBuildProcesses.InSandboxAsync(sandboxId))
                {
                    if (SandboxedBuildProcesses.Read(pid, "cmdline").Contains("npm", StringComparison.Ordinal)
                        && SandboxedBuildProcesses.Read(pid, "environ") is { Length: > 0 } environment)
                    {
                        _environments.TryAdd(pid, environment);
                    }
                }
            }
            try
            {
                await Task.Delay(100, ct);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
