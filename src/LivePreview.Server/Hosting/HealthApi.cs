namespace LivePreview.Hosting;

public sealed record HealthLimit(bool Enforced, string How, bool SwitchedOff);

public sealed record HealthResponse(string Status, IReadOnlyDictionary<string, HealthLimit> Limits);

/// <summary><c>GET /api/v1/health</c>: "ok", or "degraded" when a containment boundary that should hold does not on this host.</summary>
public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/health", (ContainmentStatus containment) => Results.Ok(ToResponse(containment)))
            .WithTags("Health").WithSummary("Whether the service runs, and which sandbox limits this host enforces (and why not).");
        return app;
    }

    public static HealthResponse ToResponse(ContainmentStatus containment) =>
        new(containment.IsDegraded ? "degraded" : "ok",
            containment.Entries.ToDictionary(e => e.Name, e => new HealthLimit(e.Enforced, e.How, e.SwitchedOff), StringComparer.Ordinal));
}
