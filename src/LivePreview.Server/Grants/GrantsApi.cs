using System.Globalization;
using System.Security.Claims;
using LivePreview.Auth;
using LivePreview.Events;
using LivePreview.Hosting;
using LivePreview.Persistence;
using LivePreview.Previews;
using LivePreview.Sandboxes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LivePreview.Grants;

public sealed record CreateGrantRequest(int? ExpiresInSeconds, bool Share = false);

public sealed record CreatedGrantResponse(string Id, string Url, DateTimeOffset ExpiresAt, bool Share, int Port);

public sealed record GrantResponse(
    string Id, string PreviewId, string SandboxId, int Port, bool Share, string User,
    DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? RevokedAt, bool Active);

public sealed record SetVisibilityRequest(string? Visibility);

public sealed record VisibilityResponse(string Id, string SandboxId, int Port, string Visibility);

/// <summary>
/// <c>/api/v1/preview/{id}/grants</c> and the preview's visibility: only the preview's owner (or an admin) may see or
/// change them; anyone else gets the same 404 as for an unknown preview. The grant's token is in the create answer only.
/// </summary>
public static class GrantsApi
{
    public static IEndpointRouteBuilder MapGrantsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/preview/{id}").WithTags("Previews");
        group.MapPost("/grants", CreateAsync)
            .WithSummary("Make a grant to open this preview (this sandbox and port only) in a browser: the url carries a token, exchanged at the preview for a cookie. share=true makes a link for anyone; it still expires and can be revoked.");
        group.MapGet("/grants", ListAsync).WithSummary("The preview's grants, revoked and expired ones included (never their tokens).");
        group.MapDelete("/grants/{grantId}", RevokeAsync).WithSummary("Revoke a grant: its cookie and link are refused from the next request on, WebSocket upgrades included.");
        group.MapPatch("", SetVisibilityAsync).WithSummary("Make the preview public (anyone with its address) or private again (grants and the owner's key only; the default).");
        return app;
    }

    private static async Task<IResult> CreateAsync(
        string id, CreateGrantRequest? request, ClaimsPrincipal user, SandboxManager sandboxes, PreviewGrants grants, IOptions<GrantOptions> options, CancellationToken ct)
    {
        if (await sandboxes.FindVisiblePreviewAsync(id, user, ct) is not { } preview)
        {
            return NotFound(id);
        }
        var o = options.Value;
        var lifetime = request?.ExpiresInSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : o.DefaultLifetime;
        if (lifetime < o.MinLifetime || lifetime > o.MaxLifetime)
        {
            return Problems.BadRequest("Expiry out of range",
                $"'expires_in_seconds' must be between {Seconds(o.MinLifetime)} and {Seconds(o.MaxLifetime)}; leave it out for {Seconds(o.DefaultLifetime)}.");
        }
        var created = await grants.CreateAsync(preview, user.RequireUserId(), request?.Share ?? false, lifetime, ct);
        var r = created.Record;
        return TypedResults.Created($"/api/v1/preview/{id}/grants/{r.Id}", new CreatedGrantResponse(r.Id, created.Url, r.ExpiresAt, r.Share, r.Port));
    }

    private static async Task<IResult> ListAsync(string id, ClaimsPrincipal user, SandboxManager sandboxes, PreviewGrants grants, TimeProvider time, CancellationToken ct)
    {
        if (await sandboxes.FindVisiblePreviewAsync(id, user, ct) is not { } preview)
        {
            return NotFound(id);
        }
        var now = time.GetUtcNow();
        var list = await grants.ListAsync(new PreviewTarget(preview.SandboxId, preview.Port), ct);
        return TypedResults.Ok(list.Select(g => new GrantResponse(g.Id, g.PreviewId, g.SandboxId, g.Port, g.Share, g.User,
            g.CreatedAt, g.ExpiresAt, g.RevokedAt, g.RevokedAt is null && g.ExpiresAt > now)));
    }

    private static async Task<IResult> RevokeAsync(string id, string grantId, ClaimsPrincipal user, SandboxManager sandboxes, PreviewGrants grants, CancellationToken ct)
    {
        if (await sandboxes.FindVisiblePreviewAsync(id, user, ct) is not { } preview)
        {
            return NotFound(id);
        }
        return await grants.RevokeAsync(new PreviewTarget(preview.SandboxId, preview.Port), grantId, user.RequireUserId(), ct)
            ? TypedResults.NoContent()
            : Problems.NotFound("Grant not found", $"Preview '{id}' has no grant '{grantId}'. List them with GET /api/v1/preview/{id}/grants.");
    }

    private static async Task<IResult> SetVisibilityAsync(
        string id, SetVisibilityRequest? request, ClaimsPrincipal user, SandboxManager sandboxes,
        IDbContextFactory<LivePreviewDbContext> db, IEventBus events, CancellationToken ct)
    {
        if (await sandboxes.FindVisiblePreviewAsync(id, user, ct) is not { } preview)
        {
            return NotFound(id);
        }
        if (!Enum.TryParse<PreviewVisibility>(request?.Visibility, ignoreCase: true, out var visibility) || int.TryParse(request?.Visibility, out _))
        {
            return Problems.BadRequest("Invalid visibility", "'visibility' must be \"public\" (anyone with the address) or \"private\" (grants and the owner's key).");
        }
        await using (var context = await db.CreateDbContextAsync(ct))
        {
            await context.Previews.Where(p => p.Id == preview.Id).ExecuteUpdateAsync(u => u.SetProperty(p => p.Visibility, visibility), ct);
        }
        var name = visibility.ToString().ToLowerInvariant();
        await events.PublishAsync(new EventDraft(EventTypes.PreviewVisibilityChanged, EntityTypes.Preview, preview.Id, preview.SandboxId,
            new { preview_id = preview.Id, port = preview.Port, visibility = name, user = user.RequireUserId() }), ct);
        return TypedResults.Ok(new VisibilityResponse(preview.Id, preview.SandboxId, preview.Port, name));
    }

    private static string Seconds(TimeSpan t) => ((long)t.TotalSeconds).ToString(CultureInfo.InvariantCulture);

    private static IResult NotFound(string id) =>
        Problems.NotFound("Preview not found", $"No preview has the id '{id}'. Find a sandbox's preview with GET /api/v1/preview/sandbox/{{sandbox_id}}.");
}

