using LivePreview.Questions;
using LivePreview.Sandboxes;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Metrics;

namespace LivePreview.Gateway;

public static class GatewayExtensions
{
    /// <summary>The sandbox gateway (MCP, model gateway, registry egress) and the questions agents ask.</summary>
    public static IServiceCollection AddGateway(this IServiceCollection services)
    {
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section)
            .Validate(o => o.SandboxPort is > 0 and < 65536, "LivePreview:Gateway:SandboxPort must be a TCP port.")
            .Validate(o => o.MaxConnectionsPerSandbox > 0 && o.MaxModelRequestBytes > 0 && o.AskKeepAlive > TimeSpan.Zero,
                "LivePreview:Gateway: MaxConnectionsPerSandbox, MaxModelRequestBytes and AskKeepAlive must be positive.")
            .ValidateOnStart();
        services.AddOptions<QuestionOptions>().BindConfiguration(QuestionOptions.Section)
            .Validate(o => o.Expiry > TimeSpan.Zero && o.MaxTextChars > 0 && o.MaxChoices > 0, "LivePreview:Questions: Expiry, MaxTextChars and MaxChoices must be positive.")
            .ValidateOnStart();
        services.TryAddSingleton<GatewayTokens>();
        services.TryAddSingleton<GatewaySocket>();
        services.TryAddSingleton<ServiceSandboxes>();
        services.TryAddSingleton<QuestionService>();
        services.TryAddSingleton<ModelGateway>();
        services.TryAddSingleton<GatewayListeners>();
        services.AddSingleton<ISandboxEnvironment>(sp => sp.GetRequiredService<GatewayListeners>());
        services.AddSingleton<ISandboxEnvironment, RegistryEgressEnvironment>();
        services.AddHostedService<GatewayServer>();
        services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(ModelGateway.MeterName));
        return services;
    }
}
