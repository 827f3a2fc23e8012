using LivePreview.DevServers;
using LivePreview.Sandboxes;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace LivePreview.WarmPool;

public static class WarmPoolExtensions
{
    public static IServiceCollection AddWarmPool(this IServiceCollection services)
    {
        services.AddOptions<WarmPoolOptions>().BindConfiguration(WarmPoolOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WarmPoolOptions>, WarmPoolOptionsValidator>());
        services.TryAddSingleton<PoolMembers>();
        services.TryAddSingleton<PoolStatistics>();
        services.TryAddSingleton<PoolSignal>();
        services.TryAddSingleton<PoolStore>();
        services.TryAddSingleton<SandboxMemory>();
        services.TryAddSingleton<PoolView>();
        services.TryAddSingleton<PoolGauges>();
        services.TryAddSingleton<WarmPoolMetrics>();
        services.TryAddSingleton<SandboxReadiness>();
        services.TryAddSingleton<PoolEvictor>();
        services.TryAddSingleton(_ => new ModuleGraphWalker(SandboxHttpLimits.Default));
        services.TryAddSingleton<PoolGraphWarmer>();
        services.TryAddSingleton<PoolProvisioner>();
        services.TryAddSingleton<PoolHealthPass>();
        services.TryAddSingleton<IWarmPool, WarmPoolService>();
        services.AddHostedService<PoolFiller>();
        services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(WarmPoolMetrics.MeterName));
        return services;
    }
}
