using LivePreview.Agents;
using LivePreview.Tests.Snapshots;
using LivePreview.Workspaces;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LivePreview.Tests.Agents;

/// <summary>The real adapters and the real WorkspaceFiles over an in-memory sandbox, with one timeline for everything.</summary>
internal sealed class AgentKit
{
    public const string SandboxId = "sbagents";

    public AgentKit()
    {
        Sandbox = new InMemorySandbox(Timeline);
        Monitor = new CurrentOptions(Options);
    }

    public Timeline Timeline { get; } = new();

    public InMemorySandbox Sandbox { get; }

    public RecordingEventBus Events { get; } = new();

    public AgentOptions Options { get; } = new() { ReplayDelayScale = 0 };

    public IOptionsMonitor<AgentOptions> Monitor { get; }

    public WorkspaceFiles Files => new(Sandbox, Events, Microsoft.Extensions.Options.Options.Create(new WorkspaceFilesOptions { MaxFileBytes = 64 * 1024 }));

    public IAgentWorkspace Workspace => new AgentWorkspaceFactory(Files, Microsoft.Extensions.Options.Options.Create(Options)).For(SandboxId);

    public AgentTurn Turn(string prompt, string? model = null, IReadOnlyList<string>? feedback = null, string framework = "react-vite") =>
        new("pssession", SandboxId, framework, prompt, model, [], feedback ?? [], Workspace);

    public ChatAgentAdapter Anthropic(string? baseUrl, string? apiKey = "sk-ant-test")
    {
        Options.Anthropic = new AnthropicAgentOptions { ApiKey = apiKey, BaseUrl = baseUrl, Model = "claude-test" };
        return new ChatAgentAdapter(new AnthropicModelSource(Monitor), Monitor, NullLogger<ChatAgentAdapter>.Instance);
    }

    public ChatAgentAdapter OpenAI(string? baseUrl, string? model = "qwen-test")
    {
        Options.OpenAI = new OpenAIAgentOptions { BaseUrl = baseUrl, Model = model };
        return new ChatAgentAdapter(new OpenAIModelSource(Monitor), Monitor, NullLogger<ChatAgentAdapter>.Instance);
    }

    public ReplayAgentAdapter Replay(string? directory = null)
    {
        Options.ReplayDirectory = directory ?? Path.Combine(Support.LivePreviewHost.RepositoryRoot, "replays");
        var transcripts = new ReplayTranscripts(Monitor, Microsoft.Extensions.Options.Options.Create(new LivePreview.Hosting.LivePreviewOptions()), NullLogger<ReplayTranscripts>.Instance);
        return new ReplayAgentAdapter(transcripts, Monitor, TimeProvider.System, NullLogger<ReplayAgentAdapter>.Instance);
    }

    /// <summary>Runs the turn to its end; each event lands on the timeline as the consumer sees it.</summary>
    public async Task<List<AgentEvent>> RunAsync(IAgentAdapter adapter, AgentTurn turn, CancellationToken cancellationToken = default)
    {
        var events = new List<AgentEvent>();
        await foreach (var e in adapter.RunTurnAsync(turn, cancellationToken).WithCancellation(cancellationToken))
        {
            events.Add(e);
            Timeline.Add(Describe(e));
        }
        return events;
    }

    public static string Describe(AgentEvent e) => e switch
    {
        AgentTextDelta => "text",
        AgentToolCalled c => $"called {c.Tool} {c.Path}".TrimEnd(),
        AgentToolCompleted c => $"{(c.Succeeded ? "completed" : "refused")} {c.Tool} {c.Path}".TrimEnd(),
        AgentTurnCompleted => "turn completed",
        AgentFailed => "failed",
        _ => e.GetType().Name,
    };

    /// <summary>The same instance until the test changes it, like IOptionsMonitor between reloads.</summary>
    private sealed class CurrentOptions(AgentOptions options) : IOptionsMonitor<AgentOptions>
    {
        public AgentOptions CurrentValue => options;

        public AgentOptions Get(string? name) => options;

        public IDisposable? OnChange(Action<AgentOptions, string?> listener) => null;
    }
}
