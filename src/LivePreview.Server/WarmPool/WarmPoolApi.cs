using System.Security.Claims;
using LivePreview.Auth;

namespace LivePreview.WarmPool;

public static class WarmPoolApi
{
    public static IEndpointRouteBuilder MapWarmPoolApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/pool", (ClaimsPrincipal user, IWarmPool pool) => TypedResults.Ok(ForViewer(pool.Status(), user)))
            .WithTags("Warm pool")
            .WithSummary("Per framework: target size, ready and starting sandboxes, hits, misses, evictions; admins also get the members and the last evictions.");
        return app;
    }

    /// <summary>
    /// Counts are anyone's to see; the members' and evicted sandboxes' ids are not: an unclaimed member is the
    /// service's own (admin-only, like its events), and an id is the one thing a guess at someone's sandbox needs.
    /// </summary>
    internal static PoolStatus ForViewer(PoolStatus status, ClaimsPrincipal user) => user.IsAdmin()
        ? status
        : status with { Frameworks = status.Frameworks.Select(f => f with { Members = [], LastEvictions = [] }).ToList() };
}
