using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using LivePreview.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LivePreview.Tests.Auth;

/// <summary>
/// OIDC access tokens as <c>Authorization: Bearer</c>: a local identity provider on Kestrel 127.0.0.1 publishes a discovery
/// document and the public half of a signing key made here; the service fetches them like it would from a real provider.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class JwtBearerTests : IAsyncLifetime
{
    private const string Audience = "livepreview-api";

    private readonly RSA _signing = RSA.Create(2048);
    private readonly RSA _stranger = RSA.Create(2048);
    private WebApplication _provider = null!;
    private string _issuer = null!;
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _provider = builder.Build();
        var key = _signing.ExportParameters(includePrivateParameters: false);
        _provider.MapGet("/.well-known/openid-configuration", (HttpContext context) => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = _issuer,
            ["jwks_uri"] = $"{_issuer}/jwks",
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        }));
        _provider.MapGet("/jwks", () => Results.Json(new
        {
            keys = new[] { new { kty = "RSA", use = "sig", alg = "RS256", kid = "test-key", n = Base64UrlEncoder.Encode(key.Modulus!), e = Base64UrlEncoder.Encode(key.Exponent!) } },
        }));
        await _provider.StartAsync();
        _issuer = _provider.Urls.First();
        _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:Auth:Jwt:Authority"] = _issuer,
            ["LivePreview:Auth:Jwt:Audience"] = Audience,
            ["LivePreview:Auth:Jwt:RequireHttpsMetadata"] = "false",
            ["LivePreview:Auth:Jwt:AdminSubjects:0"] = "root-of-trust",
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _provider.StopAsync();
        await _provider.DisposeAsync();
        _signing.Dispose();
        _stranger.Dispose();
    }

    [Fact]
    public async Task A_token_of_the_provider_signs_in_its_subject_as_the_user()
    {
        using var client = WithToken(Token("user-123"));

        var me = await client.GetFromJsonAsync<JsonElement>("api/v1/me");
        using var sandboxes = await client.GetAsync("api/v1/sandboxes");
        using var keys = await client.GetAsync("api/v1/keys");

        Assert.Equal("user-123", me.GetProperty("user").GetString());
        Assert.False(me.GetProperty("admin").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, sandboxes.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, keys.StatusCode);
    }

    [Fact]
    public async Task A_listed_admin_subject_may_manage_keys()
    {
        using var client = WithToken(Token("root-of-trust"));

        using var keys = await client.GetAsync("api/v1/keys");

        Assert.Equal(HttpStatusCode.OK, keys.StatusCode);
    }

    [Fact]
    public async Task Tokens_for_another_audience_from_another_issuer_signed_by_another_key_or_expired_are_401()
    {
        var now = DateTime.UtcNow;
        var refused = new[]
        {
            Token("user-123", audience: "someone-else"),
            Token("user-123", issuer: "http://127.0.0.1:1"),
            Token("user-123", key: _stranger),
            Token("user-123", notBefore: now.AddHours(-2), expires: now.AddHours(-1)),
        };
        foreach (var token in refused)
        {
            using var client = WithToken(token);
            using var response = await client.GetAsync("api/v1/sandboxes");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Contains("not accepted", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task Api_keys_still_work_beside_the_provider()
    {
        var me = await _host.Http.GetFromJsonAsync<JsonElement>("api/v1/me");

        Assert.Equal("admin", me.GetProperty("user").GetString());
        Assert.True(me.GetProperty("admin").GetBoolean());
    }

    private HttpClient WithToken(string token)
    {
        var client = AuthClients.Anonymous(_host);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private string Token(string subject, string? audience = null, string? issuer = null, RSA? key = null, DateTime? notBefore = null, DateTime? expires = null)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? _issuer,
            Audience = audience ?? Audience,
            Subject = new ClaimsIdentity([new Claim("sub", subject)]),
            NotBefore = notBefore ?? now.AddMinutes(-1),
            IssuedAt = notBefore ?? now.AddMinutes(-1),
            Expires = expires ?? now.AddMinutes(10),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key ?? _signing) { KeyId = "test-key" }, SecurityAlgorithms.RsaSha256),
        });
    }
}
