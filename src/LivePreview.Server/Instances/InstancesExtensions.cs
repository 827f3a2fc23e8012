using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LivePreview.Instances;

public static class InstancesExtensions
{
    public static IServiceCollection AddInstances(this IServiceCollection services)
    {
        services.AddOptions<InstanceOptions>().BindConfiguration(InstanceOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<InstanceOptions>, InstanceOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<InstanceIdentity>();
        services.TryAddSingleton<InstanceRegistry>();
        services.TryAddSingleton<InstanceDirectory>();
        services.TryAddSingleton<ISandboxPlacementPolicy, MostFreeCapacityPlacement>();
        services.TryAddSingleton<SandboxPlacement>();
        services.TryAddSingleton<ForwardSignature>();
        services.TryAddSingleton<InstanceForwarding>();
        services.TryAddSingleton<InstanceClient>();
        services.AddHostedService<InstanceHeartbeat>();
        return services;
    }

    /// <summary>Before the preview proxy and everything else: requests for another instance's sandboxes leave here.</summary>
    public static IApplicationBuilder UseInstanceForwarding(this IApplicationBuilder app) => app.UseMiddleware<InstanceForwardingMiddleware>();
}
