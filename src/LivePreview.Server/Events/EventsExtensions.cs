using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LivePreview.Events;

public static class EventsExtensions
{
    /// <summary>
    /// The bus — in-process by default, signalled through Redis when <c>ConnectionStrings:Redis</c> is set (several
    /// instances on one database); anything else registered first as <see cref="IEventBus"/> wins — the store, the
    /// stream and retention.
    /// </summary>
    public static IServiceCollection AddEvents(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EventBusOptions>().BindConfiguration(EventBusOptions.Section)
            .Validate(o => o.IsValid(), "LivePreview:Events has an out-of-range value: sizes must be positive, intervals and timeouts positive, Retention 0 (keep forever) or more.")
            .ValidateOnStart();
        if (!string.IsNullOrWhiteSpace(configuration.GetConnectionString("Redis")) && !services.Any(d => d.ServiceType == typeof(IEventBus)))
        {
            services.AddSingleton<RedisEventBus>();
            services.AddSingleton<IEventBus>(sp => sp.GetRequiredService<RedisEventBus>());
            // Started before the services that publish (registered after this), stopped after them.
            services.AddHostedService(sp => sp.GetRequiredService<RedisEventBus>());
        }
        services.TryAddSingleton<IEventBus, InProcessEventBus>();
        services.TryAddSingleton<EventStore>();
        services.TryAddSingleton<EventStreamer>();
        services.AddHostedService<EventRetention>();
        return services;
    }
}
