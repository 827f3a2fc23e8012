namespace LivePreview.Agents.Cli;

/// <summary>
/// Starts a CLI agent's process where the agent works: inside the session's sandbox in the service, a
/// host process over a temporary workspace in tests. The process is hostile code: it gets exactly the
/// environment in <see cref="AgentProcessStart.Environment"/> (the host clears everything else) and
/// nothing of the service's own credentials.
/// </summary>
public interface IAgentProcessHost
{
    /// <summary>Where things are for <paramref name="sandboxId"/>, as the agent's process sees them.</summary>
    /// <exception cref="AgentNotConfiguredException">The sandbox cannot run agents (no gateway, no tools layer).</exception>
    Task<AgentSandboxContext> GetContextAsync(string sandboxId, CancellationToken cancellationToken);

    Task<IAgentProcess> StartAsync(string sandboxId, AgentProcessStart start, CancellationToken cancellationToken);
}

/// <param name="Command">Program and arguments, never a shell string.</param>
/// <param name="Environment">The whole environment of the process.</param>
public sealed record AgentProcessStart(IReadOnlyList<string> Command, IReadOnlyDictionary<string, string> Environment, string WorkingDirectory);

/// <summary>
/// What an agent in one sandbox is given. The model URLs point at the model gateway, which adds the
/// real key; <see cref="ModelToken"/> is the sandbox's own token that the gateway accepts, never a provider key.
/// </summary>
/// <param name="WorkingDirectory">The workspace (e.g. <c>/app</c>).</param>
/// <param name="HomeDirectory">HOME for the agent: its settings and session transcripts live there, so resume finds them.</param>
/// <param name="ToolsDirectory">The tools layer as the process sees it (e.g. <c>/opt/livepreview/agents</c>), holding <see cref="AgentToolsLayer.ClaudeCodeBinary"/> and <see cref="AgentToolsLayer.OpenCodeBinary"/>.</param>
/// <param name="McpUrl">LivePreview's MCP endpoint for this sandbox (<c>LIVEPREVIEW_MCP_URL</c>), null when there is none.</param>
/// <param name="ServerAddress">
/// The address an agent's own HTTP server (OpenCode's) listens on inside the sandbox and the service connects to:
/// the sandbox's address on its network namespace, 127.0.0.1 for host processes.
/// </param>
public sealed record AgentSandboxContext(
    string WorkingDirectory,
    string HomeDirectory,
    string ToolsDirectory,
    string AnthropicBaseUrl,
    string OpenAIBaseUrl,
    string ModelToken,
    string? McpUrl,
    string ServerAddress = "127.0.0.1");

/// <summary>One running agent process.</summary>
public interface IAgentProcess : IAsyncDisposable
{
    /// <summary>Its standard input; disposing it closes stdin.</summary>
    Stream Input { get; }

    /// <summary>Standard output, line by line, until the process closes it. Standard error is kept apart, in <see cref="ErrorTail"/>.</summary>
    IAsyncEnumerable<string> ReadOutputAsync(CancellationToken cancellationToken);

    /// <summary>The last lines of standard error (for a failure message).</summary>
    string ErrorTail { get; }

    Task<int> Exited { get; }

    /// <summary>Kills the process and everything it started; returns once it is gone.</summary>
    Task KillAsync();
}
