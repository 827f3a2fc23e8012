using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Auth;

/// <summary>
/// OIDC access tokens as <c>Authorization: Bearer</c>: the local identity provider (<see cref="OidcProvider"/>, Kestrel
/// 127.0.0.1) publishes a discovery document and the public half of a signing key made at start; the service fetches
/// them like it would from a real provider.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class JwtBearerTests : IAsyncLifetime
{
    private readonly RSA _stranger = RSA.Create(2048);
    private OidcProvider _provider = null!;
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync()
    {
        _provider = await OidcProvider.StartAsync();
        _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:Auth:Jwt:Authority"] = _provider.Issuer,
            ["LivePreview:Auth:Jwt:Audience"] = _provider.ApiAudience,
            ["LivePreview:Auth:Jwt:RequireHttpsMetadata"] = "false",
            ["LivePreview:Auth:Jwt:AdminSubjects:0"] = "root-of-trust",
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _provider.DisposeAsync();
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

    private string Token(string subject, string? audience = null, string? issuer = null, RSA? key = null, DateTime? notBefore = null, DateTime? expires = null) =>
        _provider.AccessToken(subject, audience, issuer, key, notBefore, expires);
}
