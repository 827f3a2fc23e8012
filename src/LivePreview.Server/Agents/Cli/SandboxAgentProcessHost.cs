using System.Net;
using LivePreview.Gateway;
using LivePreview.Sandboxes;
using Microsoft.Extensions.Options;

namespace LivePreview.Agents.Cli;

/// <summary>
/// Runs CLI agents inside their session's sandbox, through the provider like any command: the same jail (sandbox
/// user, seccomp, cgroups, the sandbox's network namespace), stdin open, every stdout line kept (it is the agent's
/// protocol), stderr kept apart, and exactly the environment the adapter built (<see cref="SandboxProcessSpec.ExactEnvironment"/>).
/// The agent reaches the model and MCP only through the gateway listener on the sandbox's loopback, with the
/// sandbox's own token; the provider keys stay in the gateway.
/// </summary>
internal sealed class SandboxAgentProcessHost(
    ISandboxProvider provider,
    GatewayTokens tokens,
    IOptions<GatewayOptions> gateway,
    AgentToolsMount tools,
    ILogger<SandboxAgentProcessHost> logger) : IAgentProcessHost
{
    public async Task<AgentSandboxContext> GetContextAsync(string sandboxId, CancellationToken cancellationToken)
    {
        if (provider is not ISandboxNetworkAccess)
        {
            throw new AgentNotConfiguredException(
                $"The {provider.Name} sandbox provider cannot open the model gateway inside a sandbox, so CLI agents cannot run there; use the local provider or the anthropic agent.");
        }
        if (tools.Problem is { } problem)
        {
            throw new AgentNotConfiguredException(problem);
        }
        // The address the service reaches the sandbox on, as previews reach its dev server: OpenCode's server listens there.
        var endpoint = await provider.GetPortEndpointAsync(sandboxId, 1, cancellationToken);
        var address = endpoint is IPEndPoint ip ? ip.Address.ToString()
            : throw new AgentNotConfiguredException($"Sandbox '{sandboxId}' is not reached over IP, which OpenCode's server needs.");
        var urls = GatewayListeners.UrlsInside(gateway.Value.SandboxPort);
        return new AgentSandboxContext(SandboxPaths.Workspace, SandboxPaths.Home, SandboxPaths.AgentTools, urls.Anthropic, urls.OpenAI,
            tokens.For(sandboxId), urls.Mcp, address);
    }

    public async Task<IAgentProcess> StartAsync(string sandboxId, AgentProcessStart start, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(start);
        var spec = new SandboxProcessSpec(start.Command, start.Environment, WorkspaceRelative(start.WorkingDirectory),
            OpenInput: true, LosslessOutput: true, SeparateErrors: true, ExactEnvironment: true);
        var process = await provider.StartProcessAsync(sandboxId, spec, cancellationToken);
        SandboxAgentLog.Started(logger, sandboxId, process.ProcessId, Path.GetFileName(start.Command[0]));
        return new SandboxAgentProcess(process);
    }

    /// <summary>The adapter's working directory (the workspace as the sandbox sees it, or a folder in it) as the provider wants it.</summary>
    internal static string? WorkspaceRelative(string workingDirectory)
    {
        if (workingDirectory == SandboxPaths.Workspace)
        {
            return null;
        }
        return workingDirectory.StartsWith(SandboxPaths.Workspace + "/", StringComparison.Ordinal)
            ? workingDirectory[(SandboxPaths.Workspace.Length + 1)..]
            : throw new ArgumentException($"An agent works in the workspace ({SandboxPaths.Workspace}), not in '{workingDirectory}'.", nameof(workingDirectory));
    }

    private sealed class SandboxAgentProcess(ISandboxProcess process) : IAgentProcess
    {
        public Stream Input => process.Input ?? throw new InvalidOperationException("The agent's process was started without stdin.");

        public IAsyncEnumerable<string> ReadOutputAsync(CancellationToken cancellationToken) => process.ReadOutputAsync(cancellationToken);

        public string ErrorTail => process.ErrorTail;

        public Task<int> Exited => process.Exited;

        public Task KillAsync() => process.KillAsync();

        public ValueTask DisposeAsync() => process.DisposeAsync();
    }
}

internal static partial class SandboxAgentLog
{
    [LoggerMessage(EventId = 2150, Level = LogLevel.Information, Message = "Agent process {Program} started in sandbox {SandboxId} (launcher {ProcessId})")]
    public static partial void Started(ILogger logger, string sandboxId, int processId, string program);
}
