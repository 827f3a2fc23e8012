using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace LivePreview.Agents.Cli;

/// <summary>
/// OpenCode (npm <c>opencode-ai</c>; its native linux-x64 build) as an agent, through its HTTP server: one
/// <c>opencode serve --port 0</c> per turn in the workspace, the address read from its first output line; the
/// turn is <c>POST /session/{id}/prompt_async</c>, its progress the <c>/event</c> server-sent events until
/// <c>session.idle</c>, an interrupt <c>POST /session/{id}/abort</c>. OpenCode keeps sessions under HOME, so the
/// next turn prompts the same session id (the resume token). Its config comes in <c>OPENCODE_CONFIG_CONTENT</c>:
/// the built-in Anthropic provider at the model gateway with the sandbox's token, never a provider key. Its permission
/// prompts (<c>permission.asked</c> events: with the default config, each bash command) go to <see cref="IAgentQuestions"/>
/// and the answer back as <c>POST /permission/{id}/reply</c> ("once" or "reject").
/// </summary>
public sealed partial class OpenCodeAdapter(
    IAgentProcessHost? processHost,
    IAgentQuestions? questions,
    AgentToolsLayer tools,
    IOptionsMonitor<AgentOptions> agentOptions,
    IOptionsMonitor<CliAgentOptions> cliOptions,
    ILogger<OpenCodeAdapter> logger) : IAgentAdapter
{
    public const string AgentName = "opencode";

    public string Name => AgentName;

    /// <summary>Its Write, Edit and Bash tools change the workspace directly: <see cref="WorkspaceChangeTracker"/> announces those changes.</summary>
    public bool EditsWorkspaceDirectly => true;

    public AgentAvailability CheckAvailability(string? model) =>
        CliAgentAvailability.Check("OpenCode", processHost is not null, tools, agentOptions.CurrentValue);

    public IAsyncEnumerable<AgentEvent> RunTurnAsync(AgentTurn turn, CancellationToken cancellationToken) =>
        AgentEventStream.ReportFailures(RunCoreAsync(turn, cancellationToken), turn, AgentName, logger, cancellationToken);

    private async IAsyncEnumerable<AgentEvent> RunCoreAsync(AgentTurn turn, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (processHost is null)
        {
            throw new AgentNotConfiguredException(CheckAvailability(turn.Model).Problem!);
        }
        if (turn.ResumeToken is not null && !SessionIdPattern().IsMatch(turn.ResumeToken))
        {
            throw new AgentNotConfiguredException("The session's OpenCode resume token is not a session id; start a new session.");
        }
        var context = await processHost.GetContextAsync(turn.SandboxId, cancellationToken);
        var model = !string.IsNullOrWhiteSpace(turn.Model) ? turn.Model.Trim() : cliOptions.CurrentValue.ClaudeCodeModel ?? agentOptions.CurrentValue.Anthropic.Model;
        var start = new AgentProcessStart(
            [Path.Combine(context.ToolsDirectory, AgentToolsLayer.OpenCodeBinary), "serve", "--hostname", context.ServerAddress, "--port", "0"],
            Environment(context, model, cliOptions.CurrentValue.OpenCodeBashPermission), context.WorkingDirectory);
        CliAgentLog.TurnStarted(logger, AgentName, turn.SandboxId, model, turn.ResumeToken);
        var process = await processHost.StartAsync(turn.SandboxId, start, cancellationToken);
        await using (process)
        {
            using var run = new Run(this, turn, process, model, context.WorkingDirectory, context.ServerAddress);
            await foreach (var e in run.RunAsync(cancellationToken))
            {
                yield return e;
            }
        }
    }

    /// <summary>The whole environment: HOME (sessions live there), the config, and no update checks.</summary>
    internal static IReadOnlyDictionary<string, string> Environment(AgentSandboxContext context, string model, string bashPermission) => new Dictionary<string, string>
    {
        ["HOME"] = context.HomeDirectory,
        ["PATH"] = "/usr/local/bin:/usr/bin:/bin",
        ["LANG"] = "C.UTF-8",
        ["TERM"] = "dumb",
        ["OPENCODE_CONFIG_CONTENT"] = Config(context, model, bashPermission),
        ["OPENCODE_DISABLE_AUTOUPDATE"] = "1",
        ["OPENCODE_DISABLE_MODELS_FETCH"] = "1",
    };

    private static string Config(AgentSandboxContext context, string model, string bashPermission)
    {
        var config = new JsonObject
        {
            ["model"] = $"anthropic/{model}",
            // Titles are made by the same model through the same gateway, not a second one it may not serve.
            ["small_model"] = $"anthropic/{model}",
            ["autoupdate"] = false,
            ["share"] = "disabled",
            // The sandbox is the boundary: inside it the agent may edit what it likes; commands ask (the QUESTION flow)
            // unless OpenCodeBashPermission is "allow"; it has no business fetching the web.
            ["permission"] = new JsonObject { ["edit"] = "allow", ["bash"] = bashPermission, ["webfetch"] = "deny" },
            ["provider"] = new JsonObject
            {
                ["anthropic"] = new JsonObject
                {
                    ["options"] = new JsonObject { ["baseURL"] = context.AnthropicBaseUrl.TrimEnd('/') + "/v1", ["apiKey"] = context.ModelToken },
                    ["models"] = new JsonObject { [model] = new JsonObject { ["name"] = model } },
                },
            },
        };
        if (context.McpUrl is not null)
        {
            config["mcp"] = new JsonObject
            {
                [ClaudeCodeAdapter.McpServerName] = new JsonObject
                {
                    ["type"] = "remote",
                    ["url"] = context.McpUrl,
                    ["headers"] = new JsonObject { ["Authorization"] = $"Bearer {context.ModelToken}" },
                },
            };
        }
        return config.ToJsonString();
    }

    [GeneratedRegex("^ses_[A-Za-z0-9]{1,64}$")]
    private static partial Regex SessionIdPattern();

    /// <summary>Only the port is taken from what the process prints: the address dialled is the context's, never the sandbox's text.</summary>
    [GeneratedRegex(@"listening on http://[^\s/]+:(\d{1,5})\b")]
    private static partial Regex ListeningPattern();

    private string Shorten(JsonElement input) => CliJson.Shorten(input, agentOptions.CurrentValue.MaxEventArgumentChars);

    private ILogger Logger => logger;

    private IAgentQuestions? Questions => questions;

    private CliAgentOptions Cli => cliOptions.CurrentValue;
}
