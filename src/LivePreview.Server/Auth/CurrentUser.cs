using System.Security.Claims;

namespace LivePreview.Auth;

/// <summary>
/// Who a request acts as, and what it may see: a user is the <c>NameIdentifier</c> of the sign-in (the API key's
/// user, the OIDC subject); admins see everything, everyone else only what they own.
/// </summary>
public static class CurrentUser
{
    /// <summary>The signed-in user's id, or null for an anonymous principal.</summary>
    public static string? UserId(this ClaimsPrincipal principal) =>
        principal.Identity?.IsAuthenticated == true ? principal.FindFirst(ClaimTypes.NameIdentifier)?.Value : null;

    /// <summary>The signed-in user's id; for code behind the fallback policy, which only runs for a signed-in user.</summary>
    public static string RequireUserId(this ClaimsPrincipal principal) =>
        principal.UserId() ?? throw new InvalidOperationException("No signed-in user: this code runs only behind the authorization fallback policy.");

    public static bool IsAdmin(this ClaimsPrincipal principal) =>
        principal.Identity?.IsAuthenticated == true && principal.IsInRole(AuthSchemes.AdminRole);

    /// <summary>Whether the principal may see and act on something owned by <paramref name="owner"/> (null: the service's own — admins only).</summary>
    public static bool Owns(this ClaimsPrincipal principal, string? owner) =>
        principal.IsAdmin() || (owner is not null && string.Equals(principal.UserId(), owner, StringComparison.Ordinal));
}
