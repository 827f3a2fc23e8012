namespace LivePreview.Auth;

/// <summary>Who may use the service and how they prove it (section <c>LivePreview:Auth</c>).</summary>
public sealed class AuthOptions
{
    public const string Section = "LivePreview:Auth";

    /// <summary>Shortest accepted <see cref="BootstrapKey"/>: keys are hashed with SHA-256, which is only safe for high-entropy secrets.</summary>
    public const int MinimumKeyLength = 32;

    /// <summary>
    /// The first admin's API key. Unset: one is generated on first start and kept in
    /// <c>{DataDirectory}/bootstrap-key</c> (mode 0600), and reused on later starts.
    /// At least 32 characters (e.g. <c>openssl rand -base64 32</c>).
    /// </summary>
    public string? BootstrapKey { get; set; }

    /// <summary>The user the bootstrap key belongs to.</summary>
    public string BootstrapUser { get; set; } = "admin";

    /// <summary>How long the one-time login link printed at start works (it works once).</summary>
    public TimeSpan LoginLinkLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a dashboard sign-in lasts without use (sliding).</summary>
    public TimeSpan CookieLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>
    /// Origins (scheme://host[:port]) besides the service's own whose pages may open its WebSockets and send
    /// cookie-authenticated state-changing requests, e.g. a platform that embeds the dashboard.
    /// </summary>
    public string[] DashboardOrigins { get; set; } = [];

    /// <summary>JWT bearer tokens from an OIDC provider, for deployments (off unless <see cref="JwtOptions.Authority"/> is set).</summary>
    public JwtOptions Jwt { get; set; } = new();

    /// <summary>Dashboard sign-in at an OIDC provider (off unless <see cref="OidcOptions.Authority"/> is set).</summary>
    public OidcOptions Oidc { get; set; } = new();

    internal bool IsValid(out string error)
    {
        error = "";
        if (!string.IsNullOrWhiteSpace(BootstrapKey) && BootstrapKey.Trim().Length < MinimumKeyLength)
        {
            error = $"LivePreview:Auth:BootstrapKey must be at least {MinimumKeyLength} characters (e.g. openssl rand -base64 32), or unset to have one generated.";
        }
        else if (!string.IsNullOrWhiteSpace(BootstrapKey) && !BootstrapKey.Trim().StartsWith(ApiKeys.KeyPrefix, StringComparison.Ordinal))
        {
            // Preview hosts tell a LivePreview key from an app's own Bearer token by this prefix (and strip only ours).
            error = $"LivePreview:Auth:BootstrapKey must start with '{ApiKeys.KeyPrefix}' like every LivePreview key (e.g. {ApiKeys.KeyPrefix}$(openssl rand -hex 32)), or be unset to have one generated.";
        }
        else if (!ApiKeys.IsValidUser(BootstrapUser))
        {
            error = "LivePreview:Auth:BootstrapUser must be 1-64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit.";
        }
        else if (LoginLinkLifetime <= TimeSpan.Zero || CookieLifetime <= TimeSpan.Zero)
        {
            error = "LivePreview:Auth:LoginLinkLifetime and CookieLifetime must be positive.";
        }
        else if (Jwt.Enabled && (string.IsNullOrWhiteSpace(Jwt.Audience) || !Uri.TryCreate(Jwt.Authority, UriKind.Absolute, out var authority)
            || authority.Scheme is not ("http" or "https") || (authority.Scheme == "http" && Jwt.RequireHttpsMetadata)))
        {
            error = "LivePreview:Auth:Jwt needs an absolute https Authority (http only with RequireHttpsMetadata=false) and an Audience.";
        }
        else if (DashboardOrigins.Any(o => DashboardOriginCheck.Normalize(o) is null))
        {
            error = "LivePreview:Auth:DashboardOrigins must hold origins like https://dashboard.example.com (scheme, host, optional port; no path).";
        }
        else if (!Oidc.IsValid(out var oidcError))
        {
            error = oidcError;
        }
        return error.Length == 0;
    }
}

/// <summary>Section <c>LivePreview:Auth:Jwt</c>: an OIDC provider whose access tokens are accepted as <c>Authorization: Bearer</c>.</summary>
public sealed class JwtOptions
{
    /// <summary>The issuer; its <c>/.well-known/openid-configuration</c> names the signing keys.</summary>
    public string? Authority { get; set; }

    /// <summary>The audience tokens must be issued for (this service's client or API id).</summary>
    public string? Audience { get; set; }

    /// <summary>Only for a local provider in tests or development: allow an http Authority.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Subjects (<c>sub</c>) that are admins.</summary>
    public string[] AdminSubjects { get; set; } = [];

    internal bool Enabled => !string.IsNullOrWhiteSpace(Authority);
}
