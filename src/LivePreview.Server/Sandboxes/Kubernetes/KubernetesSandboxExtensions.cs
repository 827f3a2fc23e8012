using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LivePreview.Sandboxes.Kubernetes;

public static class KubernetesSandboxExtensions
{
    /// <summary>Sandboxes as pods on a cluster (<see cref="KubernetesOptions"/>); registered instead of the local provider.</summary>
    public static IServiceCollection AddKubernetesSandboxes(this IServiceCollection services)
    {
        services.AddOptions<KubernetesOptions>().BindConfiguration(KubernetesOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KubernetesOptions>, KubernetesOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ISandboxProvider, KubernetesSandboxProvider>();
        return services;
    }
}
