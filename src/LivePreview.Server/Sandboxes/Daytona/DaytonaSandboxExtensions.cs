using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LivePreview.Sandboxes.Daytona;

public static class DaytonaSandboxExtensions
{
    /// <summary>Sandboxes rented from Daytona (<see cref="DaytonaOptions"/>); registered instead of the local provider.</summary>
    public static IServiceCollection AddDaytonaSandboxes(this IServiceCollection services)
    {
        services.AddOptions<DaytonaOptions>().BindConfiguration(DaytonaOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DaytonaOptions>, DaytonaOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DaytonaClient>();
        services.TryAddSingleton<ISandboxProvider, DaytonaSandboxProvider>();
        return services;
    }
}
