using LivePreview.Sandboxes;
using LivePreview.Sandboxes.Kubernetes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LivePreview.Tests.Sandboxes.Kubernetes;

public sealed class KubernetesOptionsTests
{
    [Fact]
    public void Provider_Kubernetes_without_its_settings_fails_with_messages_that_say_what_to_set()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [SandboxProviderExtensions.ProviderKey] = "Kubernetes",
            [$"{KubernetesOptions.Section}:KubeConfig"] = "/nonexistent/kubeconfig",
            [$"{KubernetesOptions.Section}:Memory"] = "lots",
        }).Build();
        using var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddSandboxProvider(configuration).BuildServiceProvider();

        var selection = services.GetRequiredService<IOptionsMonitor<SandboxProviderSelection>>().CurrentValue;
        Assert.DoesNotContain(services.GetServices<IValidateOptions<SandboxProviderSelection>>(), v => v.Validate(null, selection).Failed);
        var failure = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<KubernetesOptions>>().Value);
        var message = string.Join('\n', failure.Failures);
        Assert.Contains($"{KubernetesOptions.Section}:Namespace", message, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/kubeconfig", message, StringComparison.Ordinal);
        Assert.Contains($"{KubernetesOptions.Section}:Images:react-vite", message, StringComparison.Ordinal);
        Assert.Contains($"{KubernetesOptions.Section}:Memory is 'lots'", message, StringComparison.Ordinal);
        Assert.Contains($"{KubernetesOptions.Section}:IngressCidrs", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_complete_configuration_passes()
    {
        var kubeconfig = Path.GetTempFileName();
        try
        {
            var options = new KubernetesOptions
            {
                KubeConfig = kubeconfig,
                Namespace = "lp-sandboxes",
                Images = { ["react-vite"] = "registry.example/lp/react-vite:1" },
                RuntimeClassName = "gvisor",
                IngressCidrs = ["10.244.0.0/16"],
                GatewayCidr = "10.96.0.20/32",
                GatewayPorts = [8088],
            };

            Assert.True(new KubernetesOptionsValidator().Validate(null, options).Succeeded);
            options.GatewayPorts = [];
            Assert.True(new KubernetesOptionsValidator().Validate(null, options).Failed);
        }
        finally
        {
            File.Delete(kubeconfig);
        }
    }
}
