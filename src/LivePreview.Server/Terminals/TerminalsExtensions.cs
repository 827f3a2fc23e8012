using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LivePreview.Terminals;

public static class TerminalsExtensions
{
    /// <summary>Terminals in sandboxes: the sessions that outlive a client's disconnect, and their settings.</summary>
    public static IServiceCollection AddTerminals(this IServiceCollection services)
    {
        services.AddOptions<TerminalOptions>().BindConfiguration(TerminalOptions.Section)
            .Validate(o => o.MaxPerSandbox > 0, "LivePreview:Terminals:MaxPerSandbox must be positive.")
            .Validate(o => o.DetachedTimeout > TimeSpan.Zero && o.SendTimeout > TimeSpan.Zero, "LivePreview:Terminals: DetachedTimeout and SendTimeout must be positive.")
            .Validate(o => o.BufferBytes is >= 1024 and <= 16 * 1024 * 1024, "LivePreview:Terminals:BufferBytes must be 1 KiB to 16 MiB.")
            .Validate(o => o.MaxInputMessageBytes is >= 1024 and <= 1024 * 1024, "LivePreview:Terminals:MaxInputMessageBytes must be 1 KiB to 1 MiB.")
            .Validate(o => o.ClientQueueChunks > 0, "LivePreview:Terminals:ClientQueueChunks must be positive.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TerminalSessions>();
        return services;
    }
}
