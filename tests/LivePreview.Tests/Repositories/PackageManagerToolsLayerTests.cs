using System.Security.Cryptography;
using System.Text.Json;
using LivePreview.Hosting;
using LivePreview.Repositories;
using LivePreview.Sandboxes;
using LivePreview.Tests.Sandboxes.Local;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LivePreview.Tests.Repositories;

/// <summary>
/// The package managers' tools layer: named by its lock's hash as setup.sh names it, installed by the service the way
/// setup.sh installs it, and bound read-only into a real sandbox where every one of <see cref="PackageManagerTools"/>
/// answers <c>--version</c> with its pinned version.
/// </summary>
public sealed class PackageManagerToolsLayerTests : IAsyncLifetime
{
    private readonly LocalSandboxHarness _harness = new("10.208");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    private static string Pinned(string name) => Path.Combine(Support.LivePreviewHost.RepositoryRoot, "tools", "package-managers", name);

    [Fact]
    public void The_layer_is_named_by_the_hash_of_the_pinned_lock_and_setup_sh_installs_it_where_the_service_looks()
    {
        var lockFile = File.ReadAllBytes(Pinned("package-lock.json"));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(lockFile))[..16], PackageManagerToolsLayer.Hash);

        var setup = File.ReadAllText(Path.Combine(Support.LivePreviewHost.RepositoryRoot, "scripts", "setup.sh"));
        Assert.Contains($"${{{PackageManagerToolsOptions.RootVariable}:-{PackageManagerToolsOptions.DefaultRoot}}}", setup);
        // setup.sh checks the same binaries the service checks and sandboxes run.
        foreach (var binary in PackageManagerToolsLayer.Definition.Binaries)
        {
            Assert.Contains(binary, setup);
        }
        var fromSetup = Environment.GetEnvironmentVariable(PackageManagerToolsOptions.RootVariable);
        Assert.Equal(Path.GetFullPath(string.IsNullOrEmpty(fromSetup) ? PackageManagerToolsOptions.DefaultRoot : fromSetup), Layer(null).Root);
    }

    [Fact]
    public async Task Every_package_manager_runs_inside_a_sandbox_at_its_pinned_version_from_a_read_only_layer()
    {
        var layer = Layer(Path.Join(_harness.Directory, "package-managers"));
        var mount = new PackageManagerToolsMount(layer);
        Assert.Null(mount.HostDirectory);
        Assert.Contains("scripts/setup.sh", mount.Problem);

        await layer.InstallAsync(_ => Task.CompletedTask, CancellationToken.None);
        Assert.Null(mount.Problem);
        Assert.Equal(layer.Directory, mount.HostDirectory);
        _harness.Layers.Add(mount);
        await _harness.RestartAsync();
        var id = await _harness.CreateAsync();

        using var package = JsonDocument.Parse(File.ReadAllText(Pinned("package.json")));
        var pins = package.RootElement.GetProperty("dependencies");
        foreach (var (command, pin) in new[]
        {
            (PackageManagerTools.Pnpm, "pnpm"), (PackageManagerTools.YarnClassic, "yarn"),
            (PackageManagerTools.YarnBerry, "@yarnpkg/cli-dist"), (PackageManagerTools.Bun, "@oven/bun-linux-x64"),
        })
        {
            var result = await _harness.Provider.RunCommandAsync(id, new SandboxProcessSpec([.. command, "--version"]), TimeSpan.FromSeconds(60), CancellationToken.None);
            Assert.True(result.ExitCode == 0, $"{string.Join(' ', command)} --version exited {result.ExitCode}: {result.Output}");
            Assert.Equal(pins.GetProperty(pin).GetString(), result.Output.Trim().Split('\n')[^1].Trim());
        }

        var write = await _harness.RunAsync(id, "sh", "-c", $"touch {PackageManagerTools.MountPoint}/mine 2>/dev/null && echo writable || echo read-only");
        Assert.Equal("read-only", write.Output.Trim());
    }

    private static PackageManagerToolsLayer Layer(string? root) =>
        new(Options.Create(new PackageManagerToolsOptions { Root = root }), Options.Create(new LivePreviewOptions()), NullLogger<PackageManagerToolsLayer>.Instance);
}
