using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LivePreview.Metrics;

public static class MetricsExtensions
{
    /// <summary>The seed's success metrics: <see cref="PreviewMetrics"/> at /metrics and <see cref="PreviewFiguresQuery"/> for the dashboard.</summary>
    public static IServiceCollection AddPreviewMetrics(this IServiceCollection services)
    {
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section)
            .Validate(o => o.IsValid(), "LivePreview:Metrics: MaxRepositories must be 0 or more; DashboardWindow, DashboardTasks, DashboardSandboxes and DashboardRepositories positive.")
            .ValidateOnStart();
        services.TryAddSingleton<PreviewMetrics>();
        services.TryAddSingleton<PreviewFiguresQuery>();
        services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(PreviewMetrics.MeterName));
        return services;
    }
}
