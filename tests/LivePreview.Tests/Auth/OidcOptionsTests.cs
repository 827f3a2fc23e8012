using System.Globalization;
using System.Security.Claims;
using LivePreview.Auth;

namespace LivePreview.Tests.Auth;

/// <summary>The <c>LivePreview:Auth:Oidc</c> settings are checked at start, and a cookie made at the provider lives as long as they say.</summary>
public sealed class OidcOptionsTests
{
    private static readonly DateTimeOffset SignedIn = new(2026, 12, 2, 1, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("https://login.example.com", null, "openid", "ClientId is required")]
    [InlineData("http://login.example.com", "ui", "openid", "absolute https issuer URL")]
    [InlineData("login.example.com", "ui", "openid", "absolute https issuer URL")]
    [InlineData("https://login.example.com", "ui", "profile", "must include 'openid'")]
    [InlineData("https://login.example.com", "ui", "openid profile", "single words")]
    public void Settings_that_cannot_work_are_named_at_start(string authority, string? clientId, string scopes, string message)
    {
        var options = new AuthOptions { Oidc = new OidcOptions { Authority = authority, ClientId = clientId, Scopes = [.. scopes.Split(',')] } };

        Assert.False(options.IsValid(out var error));
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.StartsWith("LivePreview:Auth:Oidc:", error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_http_authority_is_accepted_only_with_require_https_metadata_off_and_no_authority_means_off()
    {
        var local = new AuthOptions { Oidc = new OidcOptions { Authority = "http://127.0.0.1:5000", ClientId = "ui", RequireHttpsMetadata = false } };

        Assert.True(local.IsValid(out _));
        Assert.True(new AuthOptions().IsValid(out _));
        Assert.False(new AuthOptions().Oidc.Enabled);
    }

    [Fact]
    public void A_provider_sign_in_ends_when_its_session_lifetime_has_passed()
    {
        var auth = Options(sessionLifetime: TimeSpan.FromHours(8));
        var principal = Principal("sub-1", admin: false);

        Assert.True(OidcSignIn.IsStillValid(principal, auth, SignedIn.AddHours(7.9)));
        Assert.False(OidcSignIn.IsStillValid(principal, auth, SignedIn.AddHours(8)));
    }

    [Fact]
    public void A_provider_sign_in_ends_when_its_admin_role_no_longer_matches_the_settings_or_oidc_is_switched_off()
    {
        var auth = Options(sessionLifetime: TimeSpan.FromHours(8));

        Assert.False(OidcSignIn.IsStillValid(Principal("sub-1", admin: true), auth, SignedIn));
        Assert.True(OidcSignIn.IsStillValid(Principal("root", admin: true), auth, SignedIn));
        Assert.False(OidcSignIn.IsStillValid(Principal("root", admin: false), auth, SignedIn));
        Assert.False(OidcSignIn.IsStillValid(Principal("sub-1", admin: false), new AuthOptions(), SignedIn));
    }

    [Fact]
    public void The_jwt_admin_subjects_apply_only_when_both_sections_name_the_same_issuer()
    {
        var jwt = new JwtOptions { Authority = "https://login.example.com/", Audience = "api", AdminSubjects = ["root"] };

        Assert.Contains("root", new OidcOptions { Authority = "https://login.example.com" }.Admins(jwt));
        Assert.DoesNotContain("root", new OidcOptions { Authority = "https://other.example.com" }.Admins(jwt));
        Assert.DoesNotContain("root", new OidcOptions { Authority = "https://login.example.com", AdminSubjects = ["ops"] }.Admins(jwt));
    }

    private static AuthOptions Options(TimeSpan sessionLifetime) => new()
    {
        Oidc = new OidcOptions { Authority = "https://login.example.com", ClientId = "ui", AdminSubjects = ["root"], SessionLifetime = sessionLifetime },
    };

    private static ClaimsPrincipal Principal(string subject, bool admin)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, subject),
            new(AuthSchemes.OidcSignedInClaim, SignedIn.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
        };
        if (admin)
        {
            claims.Add(new Claim(ClaimTypes.Role, AuthSchemes.AdminRole));
        }
        return new ClaimsPrincipal(new ClaimsIdentity(claims, AuthSchemes.Oidc));
    }
}
