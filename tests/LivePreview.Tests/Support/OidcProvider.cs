using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LivePreview.Tests.Support;

/// <summary>The person a test signs in as at <see cref="OidcProvider"/>.</summary>
public sealed record OidcUser(string Subject, string? Name = null, string? PreferredUsername = null, string? Email = null);

/// <summary>What the provider gets wrong on purpose in the next id_token, so the test can see the service refuse it.</summary>
public enum OidcTamper { None, Nonce, Issuer, Audience }

/// <summary>
/// A small OpenID Connect provider on Kestrel 127.0.0.1 (this machine cannot reach a real one), speaking the real wire
/// format: discovery, JWKS (an RSA key made at start), <c>/authorize</c> (no login form: it signs in <see cref="User"/>
/// and redirects back with a code) and <c>/token</c>, which checks the code (once, unexpired), the PKCE verifier (S256),
/// the client (and its secret), the redirect URI, and answers with a signed id_token (iss, aud, nonce, exp) and an
/// access token. It refuses what a strict provider refuses, so a test passes only when the service does it right.
/// </summary>
public sealed class OidcProvider : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly RSA _signing = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, Grant> _codes = new(StringComparer.Ordinal);

    private OidcProvider(WebApplication app, string clientId, string? clientSecret)
    {
        _app = app;
        ClientId = clientId;
        ClientSecret = clientSecret;
    }

    public string Issuer { get; private set; } = "";

    public string ClientId { get; }

    public string? ClientSecret { get; }

    /// <summary>The audience of the access tokens it issues (what <c>LivePreview:Auth:Jwt:Audience</c> expects).</summary>
    public string ApiAudience { get; init; } = "livepreview-api";

    /// <summary>Redirect URIs registered for the client; <c>/authorize</c> refuses any other (tests add the host's once it listens).</summary>
    public ConcurrentDictionary<string, bool> RedirectUris { get; } = new(StringComparer.Ordinal);

    /// <summary>Who the next <c>/authorize</c> signs in.</summary>
    public OidcUser User { get; set; } = new("subject-1", Name: "Test User");

    public OidcTamper Tamper { get; set; }

    /// <summary>
    /// Like a real provider, <c>/authorize</c> shows a page where the person confirms ("Continue as …", test id
    /// <c>idp-continue</c>); the redirect back then starts from the provider's page, a cross-site navigation.
    /// Off: <c>/authorize</c> redirects back at once (for HTTP-level tests).
    /// </summary>
    public bool Interactive { get; set; }

    /// <summary>The person declines at the provider: <c>/authorize</c> answers <c>error=access_denied</c>.</summary>
    public bool Deny { get; set; }

    /// <summary>The query of every <c>/authorize</c> request, in order.</summary>
    public ConcurrentQueue<IQueryCollection> Authorizations { get; } = new();

    /// <summary>How many codes were redeemed at <c>/token</c>.</summary>
    public int TokensIssued => _tokensIssued;

    private int _tokensIssued;
    private int _disposed;

    public static async Task<OidcProvider> StartAsync(string clientId = "livepreview", string? clientSecret = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var provider = new OidcProvider(builder.Build(), clientId, clientSecret);
        provider.Map();
        await provider._app.StartAsync();
        provider.Issuer = provider._app.Urls.First();
        return provider;
    }

    /// <summary>An access token of this provider for <paramref name="subject"/>, as a client would get it (for bearer tests).</summary>
    public string AccessToken(string subject, string? audience = null, string? issuer = null, RSA? key = null, DateTime? notBefore = null, DateTime? expires = null)
    {
        var now = DateTime.UtcNow;
        return Sign(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience ?? ApiAudience,
            Subject = new ClaimsIdentity([new Claim("sub", subject)]),
            NotBefore = notBefore ?? now.AddMinutes(-1),
            IssuedAt = notBefore ?? now.AddMinutes(-1),
            Expires = expires ?? now.AddMinutes(10),
        }, key);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _app.StopAsync();
        await _app.DisposeAsync();
        _signing.Dispose();
    }

    private void Map()
    {
        _app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = Issuer,
            ["authorization_endpoint"] = $"{Issuer}/authorize",
            ["token_endpoint"] = $"{Issuer}/token",
            ["jwks_uri"] = $"{Issuer}/jwks",
            ["response_types_supported"] = new[] { "code" },
            ["response_modes_supported"] = new[] { "query" },
            ["grant_types_supported"] = new[] { "authorization_code" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            ["code_challenge_methods_supported"] = new[] { "S256" },
            ["scopes_supported"] = new[] { "openid", "profile", "email" },
            ["token_endpoint_auth_methods_supported"] = new[] { "client_secret_post", "client_secret_basic", "none" },
        }));
        _app.MapGet("/jwks", () =>
        {
            var key = _signing.ExportParameters(includePrivateParameters: false);
            return Results.Json(new
            {
                keys = new[] { new { kty = "RSA", use = "sig", alg = "RS256", kid = "test-key", n = Base64UrlEncoder.Encode(key.Modulus!), e = Base64UrlEncoder.Encode(key.Exponent!) } },
            });
        });
        _app.MapGet("/authorize", (Delegate)Authorize);
        _app.MapGet("/authorize/continue", (Delegate)Continue);
        _app.MapPost("/token", (Delegate)TokenAsync);
    }

    private IResult Authorize(HttpContext context)
    {
        var q = context.Request.Query;
        Authorizations.Enqueue(q);
        string redirectUri = q["redirect_uri"].ToString();
        // Errors before the redirect URI is known to be the client's go to the browser, never to that URI.
        if (q["client_id"] != ClientId || !RedirectUris.ContainsKey(redirectUri))
        {
            return Results.BadRequest($"unknown client or unregistered redirect_uri '{redirectUri}'");
        }
        var error = q["response_type"] != "code" ? "unsupported_response_type"
            : !q["scope"].ToString().Split(' ').Contains("openid") ? "invalid_scope"
            : q["code_challenge_method"] != "S256" || string.IsNullOrEmpty(q["code_challenge"]) ? "invalid_request"
            : q["response_mode"].ToString() is not ("" or "query") ? "invalid_request"
            : Deny ? "access_denied"
            : null;
        var state = Uri.EscapeDataString(q["state"].ToString());
        if (error is not null)
        {
            return Results.Redirect($"{redirectUri}?error={error}&state={state}");
        }
        var code = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        _codes[code] = new Grant(redirectUri, q["nonce"].ToString(), q["code_challenge"].ToString(), User, Tamper, DateTime.UtcNow.AddMinutes(2));
        var back = $"{redirectUri}?code={code}&state={state}";
        if (!Interactive)
        {
            return Results.Redirect(back);
        }
        var user = System.Net.WebUtility.HtmlEncode(User.Name ?? User.Subject);
        return Results.Content($"""
            <!DOCTYPE html><html><head><meta charset="utf-8"><title>Test IdP</title></head><body>
            <h1>Test IdP</h1><form method="get" action="{Issuer}/authorize/continue"><input type="hidden" name="to" value="{System.Net.WebUtility.HtmlEncode(back)}">
            <button type="submit" data-testid="idp-continue">Continue as {user}</button></form></body></html>
            """, "text/html; charset=utf-8");
    }

    /// <summary>The confirmation of an interactive sign-in: back to the client, from the provider's own page.</summary>
    private IResult Continue(string to) =>
        RedirectUris.ContainsKey(to.Split('?')[0]) ? Results.Redirect(to) : Results.BadRequest("unregistered redirect_uri");

    private async Task<IResult> TokenAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync();
        var (clientId, secret) = ClientCredentials(context.Request, form);
        if (clientId != ClientId || (ClientSecret is not null && !FixedTimeEquals(secret, ClientSecret)))
        {
            return Results.Json(new { error = "invalid_client" }, statusCode: StatusCodes.Status401Unauthorized);
        }
        // A code works once: removed before anything else is checked.
        if (form["grant_type"] != "authorization_code" || !_codes.TryRemove(form["code"].ToString(), out var grant)
            || grant.Expires < DateTime.UtcNow || form["redirect_uri"] != grant.RedirectUri
            || !FixedTimeEquals(Challenge(form["code_verifier"].ToString()), grant.CodeChallenge))
        {
            return Results.Json(new { error = "invalid_grant" }, statusCode: StatusCodes.Status400BadRequest);
        }
        Interlocked.Increment(ref _tokensIssued);
        return Results.Json(new Dictionary<string, object>
        {
            ["access_token"] = AccessToken(grant.User.Subject),
            ["token_type"] = "Bearer",
            ["expires_in"] = 600,
            ["scope"] = "openid profile email",
            ["id_token"] = IdToken(grant),
        });
    }

    private string IdToken(Grant grant)
    {
        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object> { ["sub"] = grant.User.Subject, ["auth_time"] = EpochTime.GetIntDate(now) };
        claims["nonce"] = grant.Tamper == OidcTamper.Nonce ? "not-" + grant.Nonce : grant.Nonce;
        foreach (var (name, value) in new[] { ("name", grant.User.Name), ("preferred_username", grant.User.PreferredUsername), ("email", grant.User.Email) })
        {
            if (value is not null)
            {
                claims[name] = value;
            }
        }
        return Sign(new SecurityTokenDescriptor
        {
            Issuer = grant.Tamper == OidcTamper.Issuer ? "http://127.0.0.1:1" : Issuer,
            Audience = grant.Tamper == OidcTamper.Audience ? "another-client" : ClientId,
            Claims = claims,
            NotBefore = now.AddSeconds(-30),
            IssuedAt = now,
            Expires = now.AddMinutes(5),
        }, key: null);
    }

    private string Sign(SecurityTokenDescriptor descriptor, RSA? key)
    {
        descriptor.SigningCredentials = new SigningCredentials(new RsaSecurityKey(key ?? _signing) { KeyId = "test-key" }, SecurityAlgorithms.RsaSha256);
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    /// <summary>client_secret_basic (Authorization: Basic) or client_secret_post / none (form fields).</summary>
    private static (string? Id, string? Secret) ClientCredentials(HttpRequest request, IFormCollection form)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..])).Split(':', 2);
            return (Uri.UnescapeDataString(pair[0]), pair.Length > 1 ? Uri.UnescapeDataString(pair[1]) : null);
        }
        return (form["client_id"].ToString(), form.TryGetValue("client_secret", out var s) ? s.ToString() : null);
    }

    private static string Challenge(string verifier) =>
        verifier.Length is < 43 or > 128 ? "" : Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    private static bool FixedTimeEquals(string? a, string b) =>
        a is not null && a.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    private sealed record Grant(string RedirectUri, string Nonce, string CodeChallenge, OidcUser User, OidcTamper Tamper, DateTime Expires);
}
