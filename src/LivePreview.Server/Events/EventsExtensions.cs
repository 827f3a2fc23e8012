using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LivePreview.Events;

public static class EventsExtensions
{
    /// <summary>The bus (in-process by default; anything else registered first as <see cref="IEventBus"/> wins), the store, the stream and retention.</summary>
    public static IServiceCollection AddEvents(this IServiceCollection services)
    {
        services.AddOptions<EventBusOptions>().BindConfiguration(EventBusOptions.Section)
            .Validate(o => o.IsValid(), "LivePreview:Events has an out-of-range value: sizes must be positive, intervals and timeouts positive, Retention 0 (keep forever) or more.")
            .ValidateOnStart();
        services.TryAddSingleton<IEventBus, InProcessEventBus>();
        services.TryAddSingleton<EventStore>();
        services.TryAddSingleton<EventStreamer>();
        services.AddHostedService<EventRetention>();
        return services;
    }
}
