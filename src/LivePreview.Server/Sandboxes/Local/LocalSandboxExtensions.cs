using LivePreview.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LivePreview.Sandboxes.Local;

public static class LocalSandboxExtensions
{
    /// <summary>Sandboxes on this machine (bubblewrap + overlayfs + network namespaces); needs root on Linux.</summary>
    public static IServiceCollection AddLocalSandboxes(this IServiceCollection services)
    {
        services.AddOptions<LocalSandboxOptions>().BindConfiguration(LocalSandboxOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LocalSandboxOptions>, LocalSandboxOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new SandboxFirewall(sp.GetRequiredService<IOptions<LocalSandboxOptions>>().Value, sp.GetRequiredService<ILogger<SandboxFirewall>>()));
        services.AddHostedService<SandboxFirewallVerifier>();
        services.TryAddSingleton<ISandboxProvider, LocalSandboxProvider>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IContainmentProbe, LocalContainmentProbe>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISandboxAdmission, LocalSandboxAdmission>());
        return services;
    }
}
