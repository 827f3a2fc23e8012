using System.Security.Claims;
using LivePreview.Frameworks;
using LivePreview.Hosting;
using LivePreview.Previews;
using LivePreview.RateLimits;
using LivePreview.Repositories;
using LivePreview.WarmPool;

namespace LivePreview.Sandboxes;

/// <param name="Framework">A template (without <paramref name="Repository"/>), or the framework to assume instead of the detected one.</param>
/// <param name="Repository">A repository to make the sandbox from (instead of a template).</param>
/// <param name="App">Overrides of what is detected in the repository.</param>
public sealed record CreateSandboxRequest(string? Framework, RepositoryRequest? Repository = null, AppOverridesRequest? App = null);

/// <summary>The create request's <c>app</c>: every field optional, each replaces the detected value.</summary>
public sealed record AppOverridesRequest(string? Directory, string? DevScript, int? Port, string? PackageManager);

public sealed record SandboxResponse(
    string Id, string Framework, string Provider, string Status, string? SnapshotId, string? Error,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, IReadOnlyList<PreviewResponse> Previews,
    RepositorySource? Repository = null, AppResponse? App = null, DependencyInfo? Dependencies = null);

/// <summary>What was detected in a repository sandbox's app (the create request's overrides applied).</summary>
/// <param name="DevToolVersion">The range package.json declares until the dependencies are installed, then the version installed (the plan's).</param>
public sealed record AppResponse(string Framework, string? DevTool, string? DevToolVersion, string PackageManager, string AppDirectory,
    string? DevScript, int Port, bool Frontend, IReadOnlyList<string> Reasons)
{
    /// <param name="plan">The dev-server plan, made over the installed tree: its exact version wins over the declared range.</param>
    public static AppResponse From(AppProfile p, DevServerPlan? plan = null) =>
        new(p.Framework, p.DevTool, plan?.DevToolVersion ?? p.DevToolVersion, p.PackageManager.ToString().ToLowerInvariant(), p.AppDirectory, p.DevScript, p.Port,
            p.Frontend, p.Reasons);
}

public static class SandboxApi
{
    public static IEndpointRouteBuilder MapSandboxApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/sandboxes").WithTags("Sandboxes");
        group.MapPost("/", CreateAsync).RequireUserLimit(UserLimit.SandboxCreates).WithSummary("Create a sandbox from a framework snapshot, or from a repository ({\"repository\": {\"url\", \"branch\"}}); its dev server and preview start by themselves.");
        group.MapGet("/", ListAsync).WithSummary("List sandboxes.");
        group.MapGet("/{id}", GetAsync).WithSummary("Get a sandbox and its previews.");
        group.MapPost("/{id}/stop", StopAsync).WithSummary("Stop a sandbox's processes; the workspace stays.");
        group.MapPost("/{id}/start", StartAsync).WithSummary("Start a stopped sandbox again.");
        group.MapDelete("/{id}", DeleteAsync).WithSummary("Delete a sandbox, its processes and its workspace.");
        app.MapGet("/api/v1/frameworks", () => FrameworkCatalog.All.Select(f => new { name = f.Name, display_name = f.DisplayName, default_port = f.DefaultPort }))
            .WithTags("Sandboxes").WithSummary("Frameworks a sandbox can be made from.");
        return app;
    }

    private static async Task<IResult> CreateAsync(CreateSandboxRequest? request, HttpContext context, SandboxManager sandboxes, IWarmPool pool, PreviewManager previews, CancellationToken ct)
    {
        if (request?.Repository is { } repository)
        {
            if (ParseOverrides(request) is not { } overrides)
            {
                return Problems.BadRequest("Invalid app overrides",
                    "\"app\" may give \"directory\" (relative, no '..'), \"dev_script\", \"port\" (1–65535) and \"package_manager\" (npm, pnpm, yarn or bun).");
            }
            var created = await sandboxes.CreateFromRepositoryAsync(repository, overrides, context.User, ct);
            return Results.Created($"/api/v1/sandboxes/{created.Id}", ToResponse(created, previews));
        }
        if (request?.App is not null)
        {
            return Problems.BadRequest("App overrides need a repository", "\"app\" overrides what is detected in a repository; give \"repository\": {\"url\": …} too, or leave \"app\" out for a template.");
        }
        if (!FrameworkCatalog.TryGet(request?.Framework, out var framework))
        {
            return Problems.BadRequest("Unknown framework",
                request?.Framework is null ? $"Give \"framework\": one of {FrameworkCatalog.Names}." : $"'{request.Framework}' is not a framework; use one of {FrameworkCatalog.Names}.");
        }
        var sandbox = await pool.CreateForAsync(framework, context.User, "api", ct);
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

    /// <summary>Null when an override is malformed.</summary>
    private static AppOverrides? ParseOverrides(CreateSandboxRequest request)
    {
        var app = request.App;
        PackageManager? manager = null;
        if (app?.PackageManager is { } name)
        {
            if (!Enum.TryParse<PackageManager>(name, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || name.Any(char.IsDigit))
            {
                return null;
            }
            manager = parsed;
        }
        var directory = app?.Directory?.Trim('/');
        if (app?.Port is < 1 or > 65535
            || (directory is not null && (directory.Split('/').Any(p => p is ".." or ".") || directory.Any(c => c == '\\' || char.IsControl(c))))
            || (request.Framework is { } framework && (framework.Length > 64 || !framework.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))))
        {
            return null;
        }
        return new AppOverrides(request.Framework, manager, directory, app?.DevScript, app?.Port);
    }

    internal static IResult NotFound(string id) =>
        Problems.NotFound("Sandbox not found", $"No sandbox has the id '{id}'. List sandboxes with GET /api/v1/sandboxes.");

    public static SandboxResponse ToResponse(SandboxSnapshot s, PreviewManager previews) =>
        new(s.Id, s.Framework, s.Provider, s.Status.ToString().ToLowerInvariant(), s.SnapshotId, s.Error, s.CreatedAt, s.UpdatedAt,
            previews.ForSandbox(s.Id).Select(p => PreviewApi.ToResponse(p, null, previews.LastCrash(p.Id))).ToList(),
            s.Repository, s.App is null ? null : AppResponse.From(s.App, s.DevServerPlan), s.Dependencies);
}
