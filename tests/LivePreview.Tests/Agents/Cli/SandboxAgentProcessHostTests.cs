using System.Net;
using LivePreview.Agents;
using LivePreview.Agents.Cli;
using LivePreview.Gateway;
using LivePreview.Hosting;
using LivePreview.Tests.Sandboxes.Local;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LivePreview.Tests.Agents.Cli;

/// <summary>What <see cref="SandboxAgentProcessHost"/> tells an adapter about a real local sandbox, and the sentence it says when agents cannot run there.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SandboxAgentProcessHostTests : IAsyncLifetime
{
    private readonly LocalSandboxHarness _harness = new("10.250");
    private readonly GatewayTokens _tokens = new(Options.Create(new GatewayOptions { TokenSecret = "a-secret-for-these-tests" }), Options.Create(new LivePreviewOptions()));

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    private SandboxAgentProcessHost Host(string toolsRoot) => new(_harness.Provider, _tokens, Options.Create(new GatewayOptions()),
        new AgentToolsMount(new AgentToolsLayer(Options.Create(new CliAgentOptions { ToolsRoot = toolsRoot }), Options.Create(new LivePreviewOptions()), NullLogger<AgentToolsLayer>.Instance)),
        NullLogger<SandboxAgentProcessHost>.Instance);

    /// <summary>A layer folder with its completion marker (what the host checks before binding it).</summary>
    private string InstalledLayer(string root)
    {
        var layer = Directory.CreateDirectory(Path.Join(root, AgentToolsLayer.Hash)).FullName;
        File.WriteAllText(Path.Join(layer, ".complete"), AgentToolsLayer.Hash);
        return layer;
    }

    [Fact]
    public async Task The_context_is_the_workspace_home_tools_and_gateway_as_the_sandbox_sees_them()
    {
        var id = await _harness.CreateAsync();
        InstalledLayer(Path.Join(_harness.Directory, "tools"));

        var context = await Host(Path.Join(_harness.Directory, "tools")).GetContextAsync(id, LocalSandboxHarness.Timeout);

        Assert.Equal("/app", context.WorkingDirectory);
        Assert.Equal("/home/sandbox", context.HomeDirectory);
        Assert.Equal("/opt/livepreview/agents", context.ToolsDirectory);
        Assert.Equal("http://127.0.0.1:4319/anthropic", context.AnthropicBaseUrl);
        Assert.Equal("http://127.0.0.1:4319/openai/v1", context.OpenAIBaseUrl);
        Assert.Equal("http://127.0.0.1:4319/mcp", context.McpUrl);
        Assert.Equal(_tokens.For(id), context.ModelToken);
        var endpoint = (IPEndPoint)await _harness.Provider.GetPortEndpointAsync(id, 3000, LocalSandboxHarness.Timeout);
        Assert.Equal(endpoint.Address.ToString(), context.ServerAddress);
    }

    [Fact]
    public async Task Without_an_installed_or_readable_layer_it_says_what_to_do()
    {
        var id = await _harness.CreateAsync();

        var missing = await Assert.ThrowsAsync<AgentNotConfiguredException>(() => Host(Path.Join(_harness.Directory, "none")).GetContextAsync(id, LocalSandboxHarness.Timeout));
        Assert.Contains("scripts/setup.sh", missing.Message);

        var hidden = Directory.CreateDirectory(Path.Join(_harness.Directory, "private")).FullName;
        InstalledLayer(Path.Join(hidden, "tools"));
        File.SetUnixFileMode(hidden, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var unreadable = await Assert.ThrowsAsync<AgentNotConfiguredException>(() => Host(Path.Join(hidden, "tools")).GetContextAsync(id, LocalSandboxHarness.Timeout));
        Assert.Contains("chmod -R a+rX", unreadable.Message);
    }

    [Theory]
    [InlineData("/app", null)]
    [InlineData("/app/src/nested", "src/nested")]
    public void The_working_directory_is_given_to_the_provider_relative_to_the_workspace(string given, string? relative) =>
        Assert.Equal(relative, SandboxAgentProcessHost.WorkspaceRelative(given));

    [Theory]
    [InlineData("/etc")]
    [InlineData("/application")]
    public void A_working_directory_outside_the_workspace_is_refused(string given) =>
        Assert.Throws<ArgumentException>(() => SandboxAgentProcessHost.WorkspaceRelative(given));
}
