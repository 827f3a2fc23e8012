using System.Security.Claims;
using LivePreview.Frameworks;
using LivePreview.Hosting;
using LivePreview.Previews;
using LivePreview.RateLimits;

namespace LivePreview.Sandboxes;

public sealed record CreateSandboxRequest(string? Framework);

public sealed record SandboxResponse(
    string Id, string Framework, string Provider, string Status, string? SnapshotId, string? Error,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, IReadOnlyList<PreviewResponse> Previews);

public static class SandboxApi
{
    public static IEndpointRouteBuilder MapSandboxApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/sandboxes").WithTags("Sandboxes");
        group.MapPost("/", CreateAsync).RequireUserLimit(UserLimit.SandboxCreates).WithSummary("Create a sandbox from a framework snapshot; its dev server and preview start by themselves.");
        group.MapGet("/", ListAsync).WithSummary("List sandboxes.");
        group.MapGet("/{id}", GetAsync).WithSummary("Get a sandbox and its previews.");
        group.MapPost("/{id}/stop", StopAsync).WithSummary("Stop a sandbox's processes; the workspace stays.");
        group.MapPost("/{id}/start", StartAsync).WithSummary("Start a stopped sandbox again.");
        group.MapDelete("/{id}", DeleteAsync).WithSummary("Delete a sandbox, its processes and its workspace.");
        app.MapGet("/api/v1/frameworks", () => FrameworkCatalog.All.Select(f => new { name = f.Name, display_name = f.DisplayName, default_port = f.DefaultPort }))
            .WithTags("Sandboxes").WithSummary("Frameworks a sandbox can be made from.");
        return app;
    }

    private static async Task<IResult> CreateAsync(CreateSandboxRequest? request, HttpContext context, SandboxManager sandboxes, PreviewManager previews, CancellationToken ct)
    {
        if (!FrameworkCatalog.TryGet(request?.Framework, out var framework))
        {
            return Problems.BadRequest("Unknown framework",
                request?.Framework is null ? $"Give \"framework\": one of {FrameworkCatalog.Names}." : $"'{request.Framework}' is not a framework; use one of {FrameworkCatalog.Names}.");
        }
        var sandbox = await sandboxes.CreateForAsync(framework, context.User, ct);
        return Results.Created($"/api/v1/sandboxes/{sandbox.Id}", ToResponse(sandbox, previews));
    }

    private static async Task<IResult> ListAsync(ClaimsPrincipal user, SandboxManager sandboxes, PreviewManager previews, CancellationToken ct) =>
        Results.Ok((await sandboxes.ListVisibleAsync(user, ct)).Select(s => ToResponse(s, previews)));

    private static async Task<IResult> GetAsync(string id, ClaimsPrincipal user, SandboxManager sandboxes, PreviewManager previews, CancellationToken ct) =>
        await sandboxes.FindVisibleAsync(id, user, ct) is { } sandbox ? Results.Ok(ToResponse(sandbox, previews)) : NotFound(id);

    // An owner never changes once set (null → user at a pool claim only), so checking first and acting second cannot
    // act on someone else's sandbox.
    private static async Task<IResult> StopAsync(string id, ClaimsPrincipal user, SandboxManager sandboxes, PreviewManager previews, CancellationToken ct) =>
        await sandboxes.FindVisibleAsync(id, user, ct) is not null && await sandboxes.StopAsync(id, ct) is { } sandbox
            ? Results.Ok(ToResponse(sandbox, previews)) : NotFound(id);

    private static async Task<IResult> StartAsync(string id, ClaimsPrincipal user, SandboxManager sandboxes, PreviewManager previews, CancellationToken ct) =>
        await sandboxes.FindVisibleAsync(id, user, ct) is not null && await sandboxes.StartAsync(id, ct) is { } sandbox
            ? Results.Ok(ToResponse(sandbox, previews)) : NotFound(id);

    private static async Task<IResult> DeleteAsync(string id, ClaimsPrincipal user, SandboxManager sandboxes, CancellationToken ct) =>
        await sandboxes.FindVisibleAsync(id, user, ct) is not null && await sandboxes.DeleteAsync(id, ct) ? Results.NoContent() : NotFound(id);

    internal static IResult NotFound(string id) =>
        Problems.NotFound("Sandbox not found", $"No sandbox has the id '{id}'. List sandboxes with GET /api/v1/sandboxes.");

    public static SandboxResponse ToResponse(SandboxSnapshot s, PreviewManager previews) =>
        new(s.Id, s.Framework, s.Provider, s.Status.ToString().ToLowerInvariant(), s.SnapshotId, s.Error, s.CreatedAt, s.UpdatedAt,
            previews.ForSandbox(s.Id).Select(p => PreviewApi.ToResponse(p, null)).ToList());
}
