using System.Security.Claims;
using LivePreview.Agents;
using LivePreview.Frameworks;
using LivePreview.Hosting;
using LivePreview.Prototypes.Screenshots;
using LivePreview.RateLimits;
using LivePreview.Workspaces;

namespace LivePreview.Prototypes;

public sealed record StartSessionRequest(string? Framework, string? Agent, string? Model, string? PackageJson);

public sealed record PromptRequest(string? Prompt);

public sealed record ExportRequest(string? RepoUrl, string? Branch, string? Message);

public sealed record ExportResponse(string CommitSha, string Branch, string RepoUrl);

public static class PrototypeApi
{
    public static IEndpointRouteBuilder MapPrototypeApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/prototype/session").WithTags("Prototyping");
        group.MapPost("/", StartAsync).RequireUserLimit(UserLimit.SessionCreates).WithSummary("Start a session: a sandbox from the framework's snapshot, its dev server, a preview URL.");
        group.MapGet("/{id}", GetAsync).WithSummary("The session: status, preview, agent, turns.");
        group.MapDelete("/{id}", EndAsync).WithSummary("End the session; its sandbox and processes are removed.");
        group.MapPost("/{id}/prompt", PromptAsync).RequireUserLimit(UserLimit.Prompts).WithSummary("Run a prompt (one at a time; progress streams as events).");
        group.MapPost("/{id}/interrupt", InterruptAsync)
            .WithSummary("Interrupt the running prompt.");
        group.MapGet("/{id}/checkpoints", CheckpointsAsync).WithSummary("Checkpoints, oldest first.");
        group.MapGet("/{id}/checkpoints/{checkpointId}/screenshot", ScreenshotAsync).WithSummary("The checkpoint's PNG of the preview (404 until one was taken; see CHECKPOINT_SCREENSHOT).");
        group.MapGet("/{id}/checkpoints/{checkpointId}/diff", DiffAsync).WithSummary("The files the checkpoint changed against its parent: [{path, status, diff}], unified diffs, bounded.");
        group.MapPost("/{id}/checkpoints/{checkpointId}/restore", RestoreAsync).WithSummary("Restore the workspace to a checkpoint (as a new checkpoint).");
        group.MapPost("/{id}/export", ExportAsync).WithSummary("Push the prototype to a branch of a git remote.");
        group.MapGet("/{id}/files/{**path}", FilesAsync).WithSummary("Read a file or list a directory of the session's workspace.");
        return app;
    }

    private static async Task<IResult> StartAsync(StartSessionRequest? request, ClaimsPrincipal user, PrototypeManager prototypes, AgentRegistry agents, CancellationToken ct)
    {
        FrameworkDefinition? framework = null;
        if (request?.Framework is { } name && !FrameworkCatalog.TryGet(name, out framework))
        {
            return Problems.BadRequest("Unknown framework", $"'{name}' is not a framework; use one of {FrameworkCatalog.Names}.");
        }
        if (framework is null && request?.PackageJson is { } packageJson)
        {
            framework = FrameworkDetector.Detect(packageJson)
                ?? throw new InvalidPromptException($"Could not tell the framework from package.json; give \"framework\": one of {FrameworkCatalog.Names}.");
        }
        if (ModelNames.Problem(request?.Model) is { } badModel)
        {
            return Problems.BadRequest("Invalid model", badModel);
        }
        // A named agent that does not exist is a mistake in the request (as for agent sessions and tasks); a known agent
        // that is not configured still starts the session, which then says what to set (agent_problem).
        if (!string.IsNullOrWhiteSpace(request?.Agent) && agents.Find(request.Agent) is null)
        {
            return Problems.BadRequest("Unknown agent", agents.Availability(request.Agent).Problem!);
        }
        var session = await prototypes.StartAsync(framework ?? FrameworkCatalog.ReactVite, request?.Agent, request?.Model, user, ct);
        return Results.Created($"/api/v1/prototype/session/{session.Id}", session);
    }

    // Every handler asks RequireVisibleAsync first: someone else's session is the unknown-session 404. A session's
    // owner never changes, so the operation that follows acts on the caller's own session.
    private static async Task<IResult> GetAsync(string id, ClaimsPrincipal user, PrototypeManager prototypes, CancellationToken ct) =>
        Results.Ok(await prototypes.ViewAsync(await prototypes.RequireVisibleAsync(id, user, ct), ct));

    private static async Task<IResult> EndAsync(string id, ClaimsPrincipal user, PrototypeManager prototypes, CancellationToken ct)
    {
        await prototypes.RequireVisibleAsync(id, user, ct);
        return await prototypes.EndAsync(id, ct) ? Results.NoContent() : throw new PrototypeNotFoundException(id);
    }

    private static async Task<IResult> PromptAsync(string id, PromptRequest? request, ClaimsPrincipal user, PrototypeManager prototypes, CancellationToken ct)
    {
        await prototypes.RequireVisibleAsync(id, user, ct);
        return Results.Accepted($"/api/v1/prototype/session/{id}", await prototypes.PromptAsync(id, request?.Prompt, ct));
    }

    private static async Task<IResult> InterruptAsync(string id, ClaimsPrincipal user, PrototypeManager prototypes, CancellationToken ct)
    {
        await prototypes.RequireVisibleAsync(id, user, ct);
        return prototypes.Interrupt(id) ? Results.Accepted() : Results.NoContent();
    }

    private static async Task<IResult> CheckpointsAsync(string id, ClaimsPrincipal user, PrototypeManager prototypes, PrototypeCheckpoints checkpoints, CancellationToken ct)
    {
        var session = await prototypes.RequireVisibleAsync(id, user, ct);
        return Results.Ok((await checkpoints.ListAsync(session.Id, ct)).Select(checkpoints.View));
    }

    private static async Task<IResult> ScreenshotAsync(string id, string checkpointId, ClaimsPrincipal user, PrototypeManager prototypes,
        PrototypeCheckpoints checkpoints, CheckpointScreenshots screenshots, HttpContext context, CancellationToken ct)
    {
        var session = await prototypes.RequireVisibleAsync(id, user, ct);
        if (await checkpoints.FindAsync(session.Id, checkpointId, ct) is null)
        {
            return CheckpointNotFound(id, checkpointId);
        }
        if (screenshots.Find(session.Id, checkpointId) is not { } path)
        {
            return Problems.NotFound("No screenshot", $"Checkpoint '{checkpointId}' has no screenshot (yet). One is taken after each prompt and restore when Chromium is available; watch for CHECKPOINT_SCREENSHOT.");
        }
        context.Response.Headers.CacheControl = "private, max-age=3600";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        return TypedResults.PhysicalFile(path, "image/png");
    }

    private static async Task<IResult> DiffAsync(string id, string checkpointId, ClaimsPrincipal user, PrototypeManager prototypes,
        PrototypeCheckpoints checkpoints, CheckpointDiffs diffs, CancellationToken ct)
    {
        var session = await prototypes.RequireVisibleAsync(id, user, ct);
        return await checkpoints.FindAsync(session.Id, checkpointId, ct) is { } checkpoint
            ? Results.Ok(await diffs.ComputeAsync(session.SandboxId, checkpoint, ct))
            : CheckpointNotFound(id, checkpointId);
    }

    private static IResult CheckpointNotFound(string id, string checkpointId) =>
        Problems.NotFound("Checkpoint not found", $"Session '{id}' has no checkpoint '{checkpointId}'; list them with GET .../checkpoints.");

    private static async Task<IResult> RestoreAsync(string id, string checkpointId, ClaimsPrincipal user, PrototypeManager prototypes, CancellationToken ct) =>
        await prototypes.RequireVisibleAsync(id, user, ct) is not null && await prototypes.RestoreAsync(id, checkpointId, ct) is { } restored
            ? Results.Ok(CheckpointView.From(restored))
            : CheckpointNotFound(id, checkpointId);

    private static async Task<IResult> ExportAsync(string id, ExportRequest? request, ClaimsPrincipal user, PrototypeManager prototypes, Git.HostGit git, CancellationToken ct)
    {
        await prototypes.RequireVisibleAsync(id, user, ct);
        // The branch first: a local check, so a request refused for its branch never makes the host resolve the remote.
        if (request?.Branch is { } branch && !await git.IsValidBranchAsync(branch, ct))
        {
            return Problems.BadRequest("Export failed", $"'{branch}' is not a valid branch name (see git check-ref-format); e.g. \"prototype/navbar\".");
        }
        var data = new ExportRequestData(request?.RepoUrl ?? "", request?.Branch ?? "", string.IsNullOrWhiteSpace(request?.Message) ? "Prototype from LivePreview" : request.Message);
        var sha = await prototypes.ExportAsync(id, data, ct);
        return Results.Ok(new ExportResponse(sha, data.Branch, data.RepoUrl));
    }

    private static async Task<IResult> FilesAsync(string id, string? path, ClaimsPrincipal user, PrototypeManager prototypes, WorkspaceFiles files, CancellationToken ct) =>
        await FilesApi.ReadAsync((await prototypes.RequireVisibleAsync(id, user, ct)).SandboxId, path ?? "", files, ct);
}
