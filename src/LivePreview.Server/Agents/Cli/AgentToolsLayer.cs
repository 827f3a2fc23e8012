using LivePreview.Hosting;
using LivePreview.Sandboxes;
using Microsoft.Extensions.Options;

namespace LivePreview.Agents.Cli;

/// <summary>
/// The CLI agents (Claude Code, OpenCode): the tools layer (<see cref="ToolsLayer"/>) of the pinned <c>tools/agents</c>
/// lock, in <c>&lt;ToolsRoot&gt;/&lt;hash of the lock&gt;/</c>. The pins are the native linux-x64 packages
/// (<c>@anthropic-ai/claude-code-linux-x64</c>, <c>opencode-linux-x64</c>): single binaries, no install scripts,
/// nothing fetched from anywhere but the npm registry. The wrapper packages are not used: their lock files name
/// every platform's build, and <c>npm ci</c> fails where a registry mirror lacks one.
/// </summary>
public sealed class AgentToolsLayer(IOptions<CliAgentOptions> options, IOptions<LivePreviewOptions> host, ILogger<AgentToolsLayer> logger)
    : ToolsLayer(Definition, Definition.ResolveRoot(options.Value.ToolsRoot, CliAgentOptions.DefaultToolsRoot, host.Value.DataDirectory),
        options.Value.NpmCommand, options.Value.InstallTimeout, options.Value.InstallOnStart, logger)
{
    /// <summary>Claude Code's binary, relative to the layer.</summary>
    public const string ClaudeCodeBinary = "node_modules/@anthropic-ai/claude-code-linux-x64/claude";

    /// <summary>OpenCode's binary, relative to the layer.</summary>
    public const string OpenCodeBinary = "node_modules/opencode-linux-x64/bin/opencode";

    /// <summary>The agents' layer: <c>tools/agents</c>, bound at <see cref="SandboxPaths.AgentTools"/>.</summary>
    public static ToolsLayerSpec Definition { get; } = new("agents", "agent tools", SandboxPaths.AgentTools, [ClaudeCodeBinary, OpenCodeBinary],
        CliAgentOptions.ToolsRootVariable, "LivePreview__Agents__Cli__ToolsRoot", "LivePreview__Agents__Cli__InstallOnStart");

    /// <summary>First 16 hex digits of the lock file's SHA-256; <c>scripts/setup.sh</c> computes the same.</summary>
    public static string Hash => HashOf(Definition.Name);
}
