using LivePreview.Sandboxes;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LivePreview.Commands;

public static class CommandsExtensions
{
    public static IServiceCollection AddCommands(this IServiceCollection services)
    {
        services.AddOptions<CommandOptions>().BindConfiguration(CommandOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CommandOptions>, CommandOptionsValidator>());
        services.TryAddSingleton<CommandService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISandboxStopHook, CommandService>(sp => sp.GetRequiredService<CommandService>()));
        return services;
    }
}
