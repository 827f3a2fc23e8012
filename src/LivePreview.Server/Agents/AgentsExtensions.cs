using LivePreview.Workspaces;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LivePreview.Agents;

public static class AgentsExtensions
{
    /// <summary>The agents ("anthropic", "openai", "replay"), their registry and the agent's view of workspace files.</summary>
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
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<WorkspaceFiles>();
        services.TryAddSingleton<AgentWorkspaceFactory>();
        services.TryAddSingleton<AnthropicModelSource>();
        services.TryAddSingleton<OpenAIModelSource>();
        services.TryAddSingleton<ReplayTranscripts>();
        services.AddSingleton<IAgentAdapter>(sp => ActivatorUtilities.CreateInstance<ChatAgentAdapter>(sp, sp.GetRequiredService<AnthropicModelSource>()));
        services.AddSingleton<IAgentAdapter>(sp => ActivatorUtilities.CreateInstance<ChatAgentAdapter>(sp, sp.GetRequiredService<OpenAIModelSource>()));
        services.AddSingleton<IAgentAdapter, ReplayAgentAdapter>();
        services.TryAddSingleton<AgentRegistry>();
        services.TryAddSingleton<AgentEventPublisher>();
        return services;
    }
}
