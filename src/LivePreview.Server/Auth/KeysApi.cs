using LivePreview.Hosting;

namespace LivePreview.Auth;

public sealed record CreateKeyRequest(string? User, string? Name, bool Admin = false);

public sealed record CreatedKeyResponse(string Id, string Key, string User, string Name, bool Admin, DateTimeOffset CreatedAt);

/// <param name="User">The user id (an API key's user, a token's or OIDC sign-in's subject): what owns sandboxes.</param>
/// <param name="Name">The name to show: the user, or the OIDC provider's name/preferred_username/email for its sign-ins.</param>
public sealed record MeResponse(string User, bool Admin, string Name);

public sealed record KeyResponse(string Id, string User, string Name, bool Admin, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary><c>/api/v1/keys</c>: admins make, list and revoke API keys. The key itself is in the create answer only.</summary>
public static class KeysApi
{
    public static IEndpointRouteBuilder MapKeysApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/me", (HttpContext context) =>
                TypedResults.Ok(new MeResponse(context.User.UserId() ?? "", context.User.IsAdmin(), context.User.Identity?.Name ?? "")))
            .WithTags("Keys").WithSummary("Who the caller is: the user (an API key's user, or a token's subject) and whether an admin.");

        var keys = app.MapGroup("/api/v1/keys").WithTags("Keys").RequireAuthorization(AuthSchemes.AdminPolicy);

        keys.MapPost("", async Task<IResult> (CreateKeyRequest request, HttpContext context, ApiKeys store, Audit audit, CancellationToken ct) =>
        {
            if (!ApiKeys.IsValidUser(request.User))
            {
                return Problems.BadRequest("Invalid user", "'user' must be 1-64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit.");
            }
            if (!ApiKeys.IsValidName(request.Name))
            {
                return Problems.BadRequest("Invalid name", "'name' must be 1-100 characters, not all blank, without control or format characters (such as bidi overrides), e.g. \"ci\".");
            }
            var created = await store.CreateAsync(request.User!, request.Name!, request.Admin, ct);
            var r = created.Record;
            await audit.KeyCreatedAsync(r, context.User.RequireUserId(), ct);
            return TypedResults.Created($"/api/v1/keys/{r.Id}", new CreatedKeyResponse(r.Id, created.Key, r.User, r.Name, r.IsAdmin, r.CreatedAt));
        }).WithSummary("Make an API key for a user (admins only). The key is in this answer only; it is stored hashed.");

        keys.MapGet("", async (ApiKeys store, CancellationToken ct) =>
            TypedResults.Ok((await store.ListAsync(ct)).Select(ToResponse)))
            .WithSummary("Every API key (without the key itself), revoked ones with revoked_at (admins only).");

        keys.MapDelete("{id}", async Task<IResult> (string id, HttpContext context, ApiKeys store, Audit audit, CancellationToken ct) =>
            await RevokeAsync(id, context.User.RequireUserId(), store, audit, ct)
                ? TypedResults.NoContent()
                : Problems.NotFound("Key not found", $"There is no API key '{id}'. List keys with GET /api/v1/keys."))
            .WithSummary("Revoke an API key: requests and dashboard sign-ins with it get 401 from now on (admins only).");
        return app;
    }

    /// <summary>Revokes the key and reports it (<c>KEY_REVOKED</c>) when it was active; false when there is no such key. The API and the keys page both revoke here.</summary>
    public static async Task<bool> RevokeAsync(string id, string by, ApiKeys store, Audit audit, CancellationToken ct)
    {
        var before = await store.GetAsync(id, ct);
        if (before is null || !await store.RevokeAsync(id, ct))
        {
            return false;
        }
        if (before.RevokedAt is null)
        {
            await audit.KeyRevokedAsync(before, by, ct);
        }
        return true;
    }

    private static KeyResponse ToResponse(ApiKeyRecord r) => new(r.Id, r.User, r.Name, r.IsAdmin, r.CreatedAt, r.RevokedAt);
}
