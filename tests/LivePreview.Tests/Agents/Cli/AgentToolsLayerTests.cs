using System.Security.Cryptography;
using LivePreview.Agents.Cli;
using LivePreview.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LivePreview.Tests.Agents.Cli;

public sealed class AgentToolsLayerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lp-tools-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void The_layer_is_named_by_the_hash_of_the_pinned_lock_file_as_setup_sh_names_it()
    {
        var lockFile = File.ReadAllBytes(Path.Combine(Support.LivePreviewHost.RepositoryRoot, "tools", "agents", "package-lock.json"));

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(lockFile))[..16], AgentToolsLayer.Hash);
        Assert.Equal(Path.Combine(_root, AgentToolsLayer.Hash), Layer().Directory);
    }

    [Fact]
    public void The_service_looks_for_the_layer_where_setup_sh_installs_it_and_a_relative_root_is_under_the_data_directory()
    {
        var setup = File.ReadAllText(Path.Combine(Support.LivePreviewHost.RepositoryRoot, "scripts", "setup.sh"));
        Assert.Contains($"${{{CliAgentOptions.ToolsRootVariable}:-{CliAgentOptions.DefaultToolsRoot}}}", setup);
        var fromSetup = Environment.GetEnvironmentVariable(CliAgentOptions.ToolsRootVariable);
        var unset = new AgentToolsLayer(Options.Create(new CliAgentOptions()), Options.Create(new LivePreviewOptions { DataDirectory = _root }), NullLogger<AgentToolsLayer>.Instance);
        Assert.Equal(Path.GetFullPath(string.IsNullOrEmpty(fromSetup) ? CliAgentOptions.DefaultToolsRoot : fromSetup), unset.Root);

        var relative = new AgentToolsLayer(Options.Create(new CliAgentOptions { ToolsRoot = "tools/agents" }), Options.Create(new LivePreviewOptions { DataDirectory = _root }),
            NullLogger<AgentToolsLayer>.Instance);
        Assert.Equal(Path.Combine(_root, "tools", "agents"), relative.Root);
    }

    [Fact]
    public async Task Install_runs_npm_ci_of_the_pinned_lock_and_says_so_only_when_complete()
    {
        var layer = Layer();
        Assert.False(layer.IsInstalled);
        Assert.Contains(layer.Directory, layer.Problem);
        var lines = new List<string>();

        await layer.InstallAsync(line =>
        {
            lines.Add(line);
            return Task.CompletedTask;
        }, CancellationToken.None);

        Assert.True(layer.IsInstalled);
        Assert.Null(layer.Problem);
        Assert.True(File.Exists(Path.Combine(layer.Directory, AgentToolsLayer.ClaudeCodeBinary)));
        Assert.True(File.Exists(Path.Combine(layer.Directory, AgentToolsLayer.OpenCodeBinary)));
        Assert.Contains(lines, l => l.Contains("added 2 packages", StringComparison.Ordinal));
        // Nothing is left of the staging folder.
        Assert.Equal([AgentToolsLayer.Hash], Directory.EnumerateFileSystemEntries(_root).Select(Path.GetFileName));
    }

    private AgentToolsLayer Layer() =>
        new(Options.Create(new CliAgentOptions { ToolsRoot = _root }), Options.Create(new LivePreviewOptions()), NullLogger<AgentToolsLayer>.Instance);
}
