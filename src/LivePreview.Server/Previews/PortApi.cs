using System.Security.Claims;
using LivePreview.Sandboxes;

namespace LivePreview.Previews;

/// <param name="Reachable">False for a listener on the sandbox's loopback only: it has no preview (listen on 0.0.0.0 to get one).</param>
public sealed record DetectedPortResponse(int Port, string Address, bool Reachable, string? PreviewId, string? Url, string? Status, DateTimeOffset OpenedAt);

public static class PortApi
{
    public static IEndpointRouteBuilder MapPortApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/sandboxes/{id}/ports", ListAsync).WithTags("Previews")
            .WithSummary("The ports something listens on inside the sandbox (port detection), each with its preview if it has one.");
        return app;
    }

    private static async Task<IResult> ListAsync(string id, ClaimsPrincipal user, SandboxManager sandboxes, PreviewManager previews, PortWatcher ports, CancellationToken ct)
    {
        // Someone else's sandbox is the unknown-sandbox 404.
        if (await sandboxes.FindVisibleAsync(id, user, ct) is null)
        {
            return SandboxApi.NotFound(id);
        }
        return Results.Ok(ports.PortsOf(id).Select(p =>
        {
            var preview = p.Reachable ? previews.Find(new PreviewTarget(id, p.Port)) : null;
            return new DetectedPortResponse(p.Port, p.Address, p.Reachable, preview?.Id, preview?.Url, preview?.Status.ToString().ToLowerInvariant(), p.OpenedAt);
        }).ToList());
    }
}
