namespace LivePreview.Auth;

/// <summary>
/// Section <c>LivePreview:Auth:Oidc</c>: sign-in to the dashboard at an OpenID Connect provider (authorization code
/// with PKCE). Off unless <see cref="Authority"/> is set; the sign-in page then offers "Sign in with <see cref="DisplayName"/>"
/// beside the API-key form. Register <c>{dashboard}/signin-oidc</c> as the redirect URI at the provider.
/// </summary>
public sealed class OidcOptions
{
    /// <summary>Where the redirect URI, relative to the dashboard's origin, comes back to (register it at the provider).</summary>
    public const string CallbackPath = "/signin-oidc";

    /// <summary>The provider's issuer URL; its <c>/.well-known/openid-configuration</c> names the endpoints and keys.</summary>
    public string? Authority { get; set; }

    /// <summary>This service's client id at the provider.</summary>
    public string? ClientId { get; set; }

    /// <summary>The client secret, for a confidential client; unset for a public client (PKCE alone).</summary>
    public string? ClientSecret { get; set; }

    /// <summary>Scopes asked for; must include <c>openid</c>. <c>profile</c> and <c>email</c> give the name shown in the header.</summary>
    public string[] Scopes { get; set; } = ["openid", "profile", "email"];

    /// <summary>
    /// Subjects (<c>sub</c>) that are admins. Unset: the subjects of <c>LivePreview:Auth:Jwt:AdminSubjects</c> when
    /// <c>Jwt:Authority</c> is the same issuer (a subject is only unique within its issuer).
    /// </summary>
    public string[] AdminSubjects { get; set; } = [];

    /// <summary>The provider's name on the sign-in button ("Sign in with …").</summary>
    public string DisplayName { get; set; } = "single sign-on";

    /// <summary>Only for a local provider in tests or development: allow an http Authority.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>
    /// How long a dashboard sign-in made at the provider lasts at most, however active (then the next page goes back to
    /// the provider, usually without a prompt). It cannot be revoked here, so this is the longest a user removed at the
    /// provider keeps a signed-in dashboard. Idle sign-ins end earlier, after <c>LivePreview:Auth:CookieLifetime</c>.
    /// </summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    internal bool Enabled => !string.IsNullOrWhiteSpace(Authority);

    /// <summary>The admin subjects in force: this section's, or the JWT section's for the same issuer.</summary>
    internal IReadOnlySet<string> Admins(JwtOptions jwt) =>
        (AdminSubjects.Length == 0 && jwt.Enabled && SameIssuer(Authority, jwt.Authority) ? jwt.AdminSubjects : AdminSubjects)
            .ToHashSet(StringComparer.Ordinal);

    internal bool IsValid(out string error)
    {
        error = "";
        if (!Enabled)
        {
            return true;
        }
        if (!Uri.TryCreate(Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("http" or "https")
            || (authority.Scheme == "http" && RequireHttpsMetadata) || !string.IsNullOrEmpty(authority.Query) || !string.IsNullOrEmpty(authority.Fragment))
        {
            error = "LivePreview:Auth:Oidc:Authority must be the provider's absolute https issuer URL (http only with RequireHttpsMetadata=false), e.g. https://login.example.com/realms/team.";
        }
        else if (string.IsNullOrWhiteSpace(ClientId))
        {
            error = "LivePreview:Auth:Oidc:ClientId is required: the client id this service was registered with at the provider.";
        }
        else if (!Scopes.Contains("openid", StringComparer.Ordinal) || Scopes.Any(s => string.IsNullOrWhiteSpace(s) || s.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
        {
            error = "LivePreview:Auth:Oidc:Scopes must include 'openid' and hold single words (e.g. openid, profile, email).";
        }
        else if (string.IsNullOrWhiteSpace(DisplayName) || DisplayName.Length > 64 || DisplayName.Any(char.IsControl))
        {
            error = "LivePreview:Auth:Oidc:DisplayName must be 1-64 characters without control characters (it is shown as \"Sign in with …\").";
        }
        else if (SessionLifetime <= TimeSpan.Zero)
        {
            error = "LivePreview:Auth:Oidc:SessionLifetime must be positive, e.g. 08:00:00.";
        }
        return error.Length == 0;
    }

    private static bool SameIssuer(string? a, string? b) =>
        string.Equals(a?.TrimEnd('/'), b?.TrimEnd('/'), StringComparison.Ordinal);
}
