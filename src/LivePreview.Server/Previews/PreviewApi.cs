using System.Security.Claims;
using LivePreview.Hosting;
using LivePreview.Sandboxes;

namespace LivePreview.Previews;

public sealed record CreatePreviewRequest(string? SandboxId, int? Port);

/// <param name="LastCrash">Why the dev server last ended (<c>cause</c>: <c>memory_limit</c> or <c>exited</c>), null when it never crashed since the service started.</param>
public sealed record PreviewResponse(
    string Id, string SandboxId, int Port, string Status, string PreviewUrl, string? Error, int Restarts,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? ReadyAt, IReadOnlyList<string>? LogTail,
    DevServers.DevServerCrash? LastCrash = null);

public static class PreviewApi
{
    public static IEndpointRouteBuilder MapPreviewApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/preview").WithTags("Previews");
        group.MapPost("/", CreateAsync).WithSummary("Create (or return the existing) preview of a sandbox port; restarts a stopped or failed one.");
        group.MapGet("/{id}", GetAsync).WithSummary("Get a preview: status, URL, error and the dev server's last log lines.");
        group.MapDelete("/{id}", StopAsync).WithSummary("Stop a preview and its dev server.");
        group.MapGet("/sandbox/{sandboxId}", GetBySandboxAsync).WithSummary("Get the sandbox's preview (the dev-server port's, else the newest).");
        return app;
    }

    private static async Task<IResult> CreateAsync(CreatePreviewRequest? request, ClaimsPrincipal user, SandboxManager sandboxes, PreviewManager previews, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request?.SandboxId))
        {
            return Problems.BadRequest("Missing sandbox_id", "Give \"sandbox_id\" of a running sandbox (and optionally \"port\").");
        }
        if (request.Port is < 1 or > 65535)
        {
            return Problems.BadRequest("Port out of range", $"Port {request.Port} is not between 1 and 65535.");
        }
        // Someone else's sandbox is the unknown-sandbox 404, before its state could tell that it exists.
        await sandboxes.RequireVisibleAsync(request.SandboxId, user, ct);
        var (sandbox, framework) = await sandboxes.RequireRunningAsync(request.SandboxId, ct);
        var preview = await sandboxes.EnsurePreviewAsync(sandbox, framework, request.Port, ct);
        return Results.Ok(ToResponse(preview, previews.LogLines(preview.Id), previews.LastCrash(preview.Id)));
    }

    private static async Task<IResult> GetAsync(string id, ClaimsPrincipal user, SandboxManager sandboxes, PreviewManager previews, CancellationToken ct) =>
        await sandboxes.FindVisiblePreviewAsync(id, user, ct) is { } preview ? Results.Ok(ToResponse(preview, previews.LogLines(id), previews.LastCrash(id))) : NotFound(id);

    private static async Task<IResult> StopAsync(string id, ClaimsPrincipal user, SandboxManager sandboxes, PreviewManager previews, CancellationToken ct) =>
        await sandboxes.FindVisiblePreviewAsync(id, user, ct) is not null && await previews.StopAsync(id, ct) is { } preview
            ? Results.Ok(ToResponse(preview, null)) : NotFound(id);


    private static async Task<IResult> GetBySandboxAsync(string sandboxId, ClaimsPrincipal user, SandboxManager sandboxes, PreviewManager previews, CancellationToken ct)
    {
        if (await sandboxes.FindVisibleAsync(sandboxId, user, ct) is not { } sandbox)
        {
            return SandboxApi.NotFound(sandboxId);
        }
        var all = previews.ForSandbox(sandboxId);
        Frameworks.FrameworkCatalog.TryGet(sandbox.Framework, out var framework);
        var preview = all.FirstOrDefault(p => p.Port == (sandbox.DevServerPlan?.Port ?? framework?.DefaultPort)) ?? all.LastOrDefault();
        return preview is null
            ? Problems.NotFound("No preview", $"Sandbox '{sandboxId}' has no preview yet; create one with POST /api/v1/preview/.")
            : Results.Ok(ToResponse(preview, previews.LogLines(preview.Id), previews.LastCrash(preview.Id)));
    }

    private static IResult NotFound(string id) =>
        Problems.NotFound("Preview not found", $"No preview has the id '{id}'. Find a sandbox's preview with GET /api/v1/preview/sandbox/{{sandbox_id}}.");

    public static PreviewResponse ToResponse(PreviewSnapshot p, IReadOnlyList<string>? logs, DevServers.DevServerCrash? lastCrash = null) =>
        new(p.Id, p.SandboxId, p.Port, p.Status.ToString().ToLowerInvariant(), p.Url, p.Error, p.Restarts,
            p.CreatedAt, p.UpdatedAt, p.ReadyAt, logs?.TakeLast(30).ToList(), lastCrash);
}
