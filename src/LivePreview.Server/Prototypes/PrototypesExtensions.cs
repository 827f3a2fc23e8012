using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LivePreview.Prototypes;

public static class PrototypesExtensions
{
    public static IServiceCollection AddPrototypes(this IServiceCollection services)
    {
        services.AddOptions<PrototypeOptions>().BindConfiguration(PrototypeOptions.Section)
            .Validate(o => o.MaxPromptLength > 0 && o.MaxFixAttempts >= 0 && o.MaxExportBytes > 0, "LivePreview:Prototypes has an out-of-range value.").ValidateOnStart();
        services.TryAddSingleton<SandboxGit>();
        services.TryAddSingleton<PreviewBuildCheck>();
        services.TryAddSingleton<GitExporter>();
        services.TryAddSingleton<PrototypeCheckpoints>();
        services.TryAddSingleton<PrototypeTurnRunner>();
        services.TryAddSingleton<PrototypeManager>();
        return services;
    }
}
