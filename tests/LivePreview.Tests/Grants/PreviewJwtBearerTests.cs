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

namespace LivePreview.Tests.Grants;

/// <summary>
/// An OIDC access token opens its subject's previews like an API key does, and — unlike an app's own bearer token —
/// never reaches the dev server (the lpk_ rule alone would let a JWT through). A local identity provider on Kestrel
/// 127.0.0.1 signs the tokens; the dev server echoes what it receives (a Vite plugin in the sandbox).
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class PreviewJwtBearerTests : IAsyncLifetime
{
    private const string Audience = "livepreview-api";
    private readonly RSA _signing = RSA.Create(2048);
    private WebApplication _provider = null!;
    private string _issuer = null!;
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _provider = builder.Build();
        var key = _signing.ExportParameters(includePrivateParameters: false);
        _provider.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = _issuer,
            ["jwks_uri"] = $"{_issuer}/jwks",
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        }));
        _provider.MapGet("/jwks", () => Results.Json(new
        {
            keys = new[] { new { kty = "RSA", use = "sig", alg = "RS256", kid = "grant-key", n = Base64UrlEncoder.Encode(key.Modulus!), e = Base64UrlEncoder.Encode(key.Exponent!) } },
        }));
        await _provider.StartAsync();
        _issuer = _provider.Urls.First();
        _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:Auth:Jwt:Authority"] = _issuer,
            ["LivePreview:Auth:Jwt:Audience"] = Audience,
            ["LivePreview:Auth:Jwt:RequireHttpsMetadata"] = "false",
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _provider.DisposeAsync();
        _signing.Dispose();
    }

    [Fact]
    public async Task A_subjects_token_opens_their_preview_and_is_not_forwarded_while_another_subjects_token_is_refused()
    {
        using var carol = new HttpClient(new SocketsHttpHandler { UseProxy = false, UseCookies = false }) { BaseAddress = new Uri($"http://127.0.0.1:{_host.Port}/") };
        carol.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token("carol"));
        using var created = await carol.PostAsJsonAsync("api/v1/sandboxes", new { framework = "react-vite" });
        created.EnsureSuccessStatusCode();
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var url = (await _host.WaitForPreviewAsync(id)).GetProperty("preview_url").GetString()!;
        (await _host.Http.PutAsync($"api/v1/sandboxes/{id}/files/vite.config.mjs", new StringContent(EchoConfig))).EnsureSuccessStatusCode();

        var seen = await EchoAsync(url, Token("carol"));
        using var dave = await SendAsync(url + "echo-headers", Token("dave"));

        Assert.False(seen.TryGetProperty("authorization", out _), seen.ToString());
        Assert.Equal(HttpStatusCode.Unauthorized, dave.StatusCode);
    }

    /// <summary>Vite restarts itself when its config changes; the echo answers once the new config is loaded.</summary>
    private async Task<JsonElement> EchoAsync(string url, string token)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var response = await SendAsync(url + "echo-headers", token);
            if (response.StatusCode == HttpStatusCode.OK && response.Content.Headers.ContentType?.MediaType == "application/json")
            {
                return await response.Content.ReadFromJsonAsync<JsonElement>();
            }
            Assert.True(DateTime.UtcNow < deadline, $"The echo never answered: {(int)response.StatusCode}");
            await Task.Delay(250);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(string url, string token)
    {
        using var client = _host.CreateLoopbackClient(useCookies: false);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private string Token(string subject)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _issuer,
            Audience = Audience,
            Subject = new ClaimsIdentity([new Claim("sub", subject)]),
            NotBefore = now.AddMinutes(-1),
            IssuedAt = now.AddMinutes(-1),
            Expires = now.AddMinutes(10),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(_signing) { KeyId = "grant-key" }, SecurityAlgorithms.RsaSha256),
        });
    }

    private const string EchoConfig = """
        import { defineConfig } from 'vite'
        import react from '@vitejs/plugin-react'

        export default defineConfig({
          plugins: [react(), {
            name: 'echo-headers',
            configureServer(server) {
              server.middlewares.use((req, res, next) => {
                if (req.url !== '/echo-headers') return next()
                res.writeHead(200, { 'Content-Type': 'application/json' })
                res.end(JSON.stringify(req.headers))
              })
            },
          }],
        })
        """;
}
