using System.Security.Claims;

namespace LivePreview.Auth;

/// <summary>Names of the authentication schemes, policies and claims.</summary>
public static class AuthSchemes
{
    /// <summary>The default: API key when the request has <c>Authorization: Bearer</c>, the dashboard cookie otherwise.</summary>
    public const string Default = "LivePreview";

    public const string ApiKey = "ApiKey";

    public const string Cookie = "Cookie";

    public const string Jwt = "Jwt";

    /// <summary>A dashboard user another instance acts for (<see cref="ActingUserAuthenticationHandler"/>).</summary>
    public const string Instance = "Instance";

    /// <summary>Dashboard sign-in at an OIDC provider; it signs in to <see cref="Cookie"/>.</summary>
    public const string Oidc = "Oidc";

    public const string AdminPolicy = "Admin";

    public const string AdminRole = "admin";

    /// <summary>The id of the API key behind a sign-in (cookies too: revoking the key ends them).</summary>
    public const string KeyIdClaim = "lp:key";

    /// <summary>On a dashboard cookie made at the OIDC provider (it has no key): when the user signed in there, in Unix seconds.</summary>
    public const string OidcSignedInClaim = "lp:oidc_signed_in";

    public static ClaimsPrincipal Principal(ApiKeyRecord key, string scheme)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, key.User),
            new(ClaimTypes.Name, key.User),
            new(KeyIdClaim, key.Id),
        };
        if (key.IsAdmin)
        {
            claims.Add(new Claim(ClaimTypes.Role, AdminRole));
        }
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme));
    }

    /// <summary>A JWT (three base64url parts), as opposed to an API key.</summary>
    public static bool LooksLikeJwt(string token) =>
        !token.StartsWith(ApiKeys.KeyPrefix, StringComparison.Ordinal) && token.Count(c => c == '.') == 2;

    /// <summary>The bearer token of the request, or null when it has no <c>Authorization: Bearer</c>.</summary>
    public static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }
}
