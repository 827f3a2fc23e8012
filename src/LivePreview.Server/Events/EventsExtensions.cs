using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LivePreview.Events;

public static class EventsExtensions
{
    public static IServiceCollection AddEvents(this IServiceCollection services)
    {
        services.AddOptions<EventBusOptions>().BindConfiguration(EventBusOptions.Section)
            .Validate(o => o.SubscriberBufferSize > 0, "LivePreview:Events:SubscriberBufferSize must be positive.").ValidateOnStart();
        services.TryAddSingleton<IEventBus, InProcessEventBus>();
        services.TryAddSingleton<EventStore>();
        return services;
    }
}
