using OpenTelemetry.Metrics;

namespace LivePreview.Hosting;

/// <summary>
/// Metrics through OpenTelemetry, scraped by Prometheus at <c>/metrics</c>. Features add their own
/// meters (<c>services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(...))</c>); this adds the exporter
/// and the request and connection meters of ASP.NET Core.
/// </summary>
public static class PrometheusMetrics
{
    public const string Path = "/metrics";

    public static IServiceCollection AddPrometheusMetrics(this IServiceCollection services)
    {
        services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
            .AddPrometheusExporter());
        return services;
    }

    /// <summary>Needs a user like the rest of the API (Prometheus: <c>authorization: { credentials: &lt;API key&gt; }</c> in the scrape config).</summary>
    public static IEndpointRouteBuilder MapPrometheusMetrics(this IEndpointRouteBuilder app)
    {
        app.MapPrometheusScrapingEndpoint(Path).ExcludeFromDescription();
        return app;
    }
}
