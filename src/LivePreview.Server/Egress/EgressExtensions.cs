using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LivePreview.Egress;

public static class EgressExtensions
{
    /// <summary>The egress proxy for sandboxes granted egress (snapshot builds: the package registry).</summary>
    public static IServiceCollection AddEgress(this IServiceCollection services)
    {
        services.AddOptions<EgressOptions>().BindConfiguration(EgressOptions.Section)
            .Validate(o => o.SandboxPort is > 0 and < 65536, "LivePreview:Egress:SandboxPort must be a TCP port.")
            .Validate(o => o.MaxConnectionsPerSandbox > 0 && o.MaxRequestHeadBytes >= 512 && o.MaxRefusalReportsPerMinute >= 0,
                "LivePreview:Egress: MaxConnectionsPerSandbox must be positive, MaxRequestHeadBytes at least 512, MaxRefusalReportsPerMinute not negative.")
            .Validate(o => o.IdleTimeout > TimeSpan.Zero && o.ConnectTimeout > TimeSpan.Zero, "LivePreview:Egress: IdleTimeout and ConnectTimeout must be positive.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<EgressRefusals>();
        services.TryAddSingleton<IEgressPolicy, EgressProxy>();
        return services;
    }
}
