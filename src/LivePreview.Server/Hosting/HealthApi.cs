namespace LivePreview.Hosting;

public sealed record HealthLimit(bool Enforced, string How, bool SwitchedOff);

public sealed record HealthResponse(string Status, IReadOnlyDictionary<string, HealthLimit> Limits);

/// <summary>What an anonymous caller (a load balancer, a liveness probe) learns: only whether the service runs.</summary>
public sealed record PublicHealthResponse(string Status);

/// <summary>
/// <c>GET /api/v1/health</c>: "ok", or "degraded" when a containment boundary that should hold does not on this host.
/// Anonymous callers get the status only: which limits this host does not enforce is a map for an attacker.
/// </summary>
public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/health", (HttpContext context, ContainmentStatus containment) => context.User.Identity?.IsAuthenticated == true
                ? Results.Ok(ToResponse(containment))
                : Results.Ok(new PublicHealthResponse(containment.IsDegraded ? "degraded" : "ok")))
            .AllowAnonymous().Produces<HealthResponse>()
            .WithTags("Health").WithSummary("Whether the service runs; signed in, also which sandbox limits this host enforces (and why not).");
        return app;
    }

    public static HealthResponse ToResponse(ContainmentStatus containment) =>
        new(containment.IsDegraded ? "degraded" : "ok",
            containment.Entries.ToDictionary(e => e.Name, e => new HealthLimit(e.Enforced, e.How, e.SwitchedOff), StringComparer.Ordinal));
}
