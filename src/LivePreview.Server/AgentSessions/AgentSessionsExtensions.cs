using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LivePreview.AgentSessions;

public static class AgentSessionsExtensions
{
    public static IServiceCollection AddAgentSessions(this IServiceCollection services)
    {
        services.AddOptions<AgentSessionOptions>().BindConfiguration(AgentSessionOptions.Section)
            .Validate(o => o.MaxInstructionLength > 0 && o.HistoryTurns >= 0, "LivePreview:AgentSessions: MaxInstructionLength must be positive and HistoryTurns 0 or more.")
            .ValidateOnStart();
        services.TryAddSingleton<AgentSessionManager>();
        services.TryAddSingleton<Agents.Cli.IAgentQuestions, AgentSessionQuestions>();
        services.AddSingleton<Questions.IQuestionObserver, AgentSessionWaits>();
        services.AddHostedService<SandboxDeletionWatch>();
        return services;
    }
}
