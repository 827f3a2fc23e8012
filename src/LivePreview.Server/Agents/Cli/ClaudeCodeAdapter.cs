using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace LivePreview.Agents.Cli;

/// <summary>
/// Claude Code (npm <c>@anthropic-ai/claude-code</c>) as an agent: one <c>claude -p</c> process per turn
/// speaking stream-json both ways, the way the Claude Agent SDKs drive it. The prompt goes in as a user
/// message on stdin; every stdout line becomes <see cref="AgentEvent"/>s; its permission prompts and its
/// AskUserQuestion tool arrive as <c>can_use_tool</c> control requests (<c>--permission-prompt-tool stdio</c>)
/// and go to <see cref="IAgentQuestions"/>; an interrupt is its <c>interrupt</c> control request; the next
/// turn resumes the same conversation with <c>--resume &lt;session id&gt;</c>.
/// The process runs inside the sandbox (hostile code): it is given the model gateway's URL and the
/// sandbox's own token, never a provider key.
/// </summary>
public sealed partial class ClaudeCodeAdapter(
    IAgentProcessHost? processHost,
    IAgentQuestions? questions,
    AgentToolsLayer tools,
    IOptionsMonitor<AgentOptions> agentOptions,
    IOptionsMonitor<CliAgentOptions> cliOptions,
    ILogger<ClaudeCodeAdapter> logger) : IAgentAdapter
{
    public const string AgentName = "claude-code";

    /// <summary>The MCP server's name in Claude Code's config; its tools are <c>mcp__livepreview__*</c>.</summary>
    public const string McpServerName = "livepreview";

    public string Name => AgentName;

    /// <summary>Its Write, Edit and Bash tools change the workspace directly: <see cref="WorkspaceChangeTracker"/> announces those changes.</summary>
    public bool EditsWorkspaceDirectly => true;

    // What a turn's Run reads of its adapter.
    private ILogger Logger => logger;

    private IAgentQuestions? Questions => questions;

    private CliAgentOptions Cli => cliOptions.CurrentValue;

    public AgentAvailability CheckAvailability(string? model) =>
        CliAgentAvailability.Check("Claude Code", processHost is not null, tools, agentOptions.CurrentValue);

    public IAsyncEnumerable<AgentEvent> RunTurnAsync(AgentTurn turn, CancellationToken cancellationToken) =>
        AgentEventStream.ReportFailures(RunCoreAsync(turn, cancellationToken), turn, AgentName, logger, cancellationToken);

    private async IAsyncEnumerable<AgentEvent> RunCoreAsync(AgentTurn turn, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (processHost is null)
        {
            throw new AgentNotConfiguredException(CheckAvailability(turn.Model).Problem!);
        }
        var context = await processHost.GetContextAsync(turn.SandboxId, cancellationToken);
        var model = ModelFor(turn);
        var start = new AgentProcessStart(Command(context, model, turn.ResumeToken), Environment(context), context.WorkingDirectory);
        CliAgentLog.TurnStarted(logger, AgentName, turn.SandboxId, model, turn.ResumeToken);
        var process = await processHost.StartAsync(turn.SandboxId, start, cancellationToken);
        await using (process)
        {
            var run = new Run(this, turn, context, process);
            await foreach (var e in run.RunAsync(cancellationToken))
            {
                yield return e;
            }
        }
    }

    private string ModelFor(AgentTurn turn) =>
        !string.IsNullOrWhiteSpace(turn.Model) ? turn.Model.Trim()
        : cliOptions.CurrentValue.ClaudeCodeModel ?? agentOptions.CurrentValue.Anthropic.Model;

    /// <summary>The command line: an argument list, user text never in it (the prompt goes over stdin).</summary>
    internal IReadOnlyList<string> Command(AgentSandboxContext context, string model, string? resumeToken)
    {
        List<string> command =
        [
            Path.Combine(context.ToolsDirectory, AgentToolsLayer.ClaudeCodeBinary),
            "-p",
            "--input-format", "stream-json",
            "--output-format", "stream-json",
            "--verbose",
            "--model", model,
            "--permission-prompt-tool", "stdio",
            "--permission-mode", cliOptions.CurrentValue.ClaudeCodePermissionMode,
            // Only our MCP server: a workspace's .mcp.json is the sandbox's code and must not add servers.
            "--strict-mcp-config",
        ];
        if (context.McpUrl is not null)
        {
            command.Add("--mcp-config");
            command.Add(McpConfig(context));
        }
        if (resumeToken is not null)
        {
            if (!Guid.TryParse(resumeToken, out var sessionId))
            {
                throw new AgentNotConfiguredException("The session's Claude Code resume token is not a session id; start a new session.");
            }
            command.Add("--resume");
            command.Add(sessionId.ToString("D"));
        }
        return command;
    }

    private static string McpConfig(AgentSandboxContext context) =>
        new JsonObject
        {
            ["mcpServers"] = new JsonObject
            {
                [McpServerName] = new JsonObject
                {
                    ["type"] = "http",
                    ["url"] = context.McpUrl,
                    // The sandbox's own token (already in its environment), not a credential of the service.
                    ["headers"] = new JsonObject { ["Authorization"] = $"Bearer {context.ModelToken}" },
                },
            },
        }.ToJsonString();

    /// <summary>The whole environment of the CLI: the gateway, the sandbox token, and switches that keep it from calling home.</summary>
    internal static IReadOnlyDictionary<string, string> Environment(AgentSandboxContext context) => new Dictionary<string, string>
    {
        ["HOME"] = context.HomeDirectory,
        ["PATH"] = "/usr/local/bin:/usr/bin:/bin",
        ["LANG"] = "C.UTF-8",
        ["TERM"] = "dumb",
        ["ANTHROPIC_BASE_URL"] = context.AnthropicBaseUrl,
        ["ANTHROPIC_API_KEY"] = context.ModelToken,
        // Statsig/Sentry telemetry, auto-updates, bug reports, release notes: none can work behind the
        // sandbox's firewall, and each would be a request the gateway has to refuse.
        ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
        ["DISABLE_TELEMETRY"] = "1",
        ["DISABLE_AUTOUPDATER"] = "1",
        ["DISABLE_ERROR_REPORTING"] = "1",
        ["DISABLE_BUG_COMMAND"] = "1",
        ["CLAUDE_CODE_ENTRYPOINT"] = "sdk-livepreview",
    };

    private string Shorten(JsonElement input) => CliJson.Shorten(input, agentOptions.CurrentValue.MaxEventArgumentChars);
}
