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

    /// <summary>
    /// Admins only (Prometheus: <c>authorization: { credentials: &lt;an admin's API key&gt; }</c> in the scrape config): the
    /// figures are everyone's — repository names of every user's sandboxes, pooled sandbox ids — not one user's.
    /// </summary>
    public static IEndpointRouteBuilder MapPrometheusMetrics(this IEndpointRouteBuilder app)
    {
        app.MapPrometheusScrapingEndpoint(Path).ExcludeFromDescription().RequireAuthorization(Auth.AuthSchemes.AdminPolicy);
        return app;
    }
}
