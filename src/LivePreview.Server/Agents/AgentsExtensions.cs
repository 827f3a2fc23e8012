using LivePreview.Agents.Cli;
using LivePreview.Workspaces;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LivePreview.Agents;

public static class AgentsExtensions
{
    /// <summary>
    /// The agents ("anthropic", "openai", "claude-code", "opencode", "replay"), their registry and the agent's view of workspace files.
    /// Claude Code needs an <see cref="IAgentProcessHost"/> (sandbox processes) and, for its questions, an
    /// <see cref="IAgentQuestions"/>; without a host it reports itself unavailable and says why.
    /// </summary>
    public static IServiceCollection AddAgents(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(AgentRegistry)))
        {
            return services;
        }
        services.AddOptions<AgentOptions>().BindConfiguration(AgentOptions.Section)
            .Validate(o => o.IsValid(), "LivePreview:Agents has an out-of-range value: rounds, tokens, timeouts and sizes must be positive, ReplayDelayScale 0 or more.")
            .ValidateOnStart();
        // The SDK's own convention, applied here rather than inside the SDK so that what is configured is what is shown.
        services.PostConfigure<AgentOptions>(o => o.Anthropic.ApiKey ??= Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY"));
        services.AddOptions<CliAgentOptions>().BindConfiguration(CliAgentOptions.Section)
            .Validate(o => o.IsValid(), $"LivePreview:Agents:Cli: InstallTimeout and InterruptGrace must be positive, NpmCommand set, ClaudeCodePermissionMode one of {string.Join(", ", CliAgentOptions.PermissionModes)}, OpenCodeBashPermission one of {string.Join(", ", CliAgentOptions.OpenCodeBashPermissions)}.")
            .ValidateOnStart();
        services.AddOptions<WorkspaceChangeOptions>().BindConfiguration(WorkspaceChangeOptions.Section)
            .Validate(o => o.IsValid(), "LivePreview:Agents:WorkspaceChanges: MaxFiles must be positive and MaxTotalBytes 0 or more.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<AgentToolsLayer>();
        services.TryAddSingleton<AgentToolsMount>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Sandboxes.ISandboxReadOnlyLayer, AgentToolsMount>(sp => sp.GetRequiredService<AgentToolsMount>()));
        services.AddHostedService<Sandboxes.ToolsLayerInstaller<AgentToolsLayer>>();
        services.TryAddSingleton<WorkspaceFiles>();
        services.TryAddSingleton<AgentWorkspaceFactory>();
        services.TryAddSingleton<AnthropicModelSource>();
        services.TryAddSingleton<OpenAIModelSource>();
        services.TryAddSingleton<ReplayTranscripts>();
        services.AddSingleton<IAgentAdapter>(sp => ActivatorUtilities.CreateInstance<ChatAgentAdapter>(sp, sp.GetRequiredService<AnthropicModelSource>()));
        services.AddSingleton<IAgentAdapter>(sp => ActivatorUtilities.CreateInstance<ChatAgentAdapter>(sp, sp.GetRequiredService<OpenAIModelSource>()));
        services.AddSingleton<IAgentAdapter>(sp => new ClaudeCodeAdapter(
            sp.GetService<IAgentProcessHost>(), sp.GetService<IAgentQuestions>(), sp.GetRequiredService<AgentToolsLayer>(),
            sp.GetRequiredService<IOptionsMonitor<AgentOptions>>(), sp.GetRequiredService<IOptionsMonitor<CliAgentOptions>>(),
            sp.GetRequiredService<ILogger<ClaudeCodeAdapter>>()));
        services.AddSingleton<IAgentAdapter>(sp => new OpenCodeAdapter(
            sp.GetService<IAgentProcessHost>(), sp.GetService<IAgentQuestions>(), sp.GetRequiredService<AgentToolsLayer>(),
            sp.GetRequiredService<IOptionsMonitor<AgentOptions>>(), sp.GetRequiredService<IOptionsMonitor<CliAgentOptions>>(),
            sp.GetRequiredService<ILogger<OpenCodeAdapter>>()));
        services.AddSingleton<IAgentAdapter, ReplayAgentAdapter>();
        services.TryAddSingleton<AgentRegistry>();
        services.TryAddSingleton<AgentEventPublisher>();
        services.TryAddSingleton<WorkspaceChangeTracker>();
        return services;
    }

    /// <summary>
    /// CLI agents run inside the session's sandbox (<see cref="SandboxAgentProcessHost"/>): needs the sandboxes and the gateway.
    /// </summary>
    public static IServiceCollection AddSandboxAgentHost(this IServiceCollection services)
    {
        services.AddAgents();
        services.TryAddSingleton<IAgentProcessHost, SandboxAgentProcessHost>();
        return services;
    }
}
