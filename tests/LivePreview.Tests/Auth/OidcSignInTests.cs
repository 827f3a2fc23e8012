using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Auth;

/// <summary>
/// Dashboard sign-in at an OIDC provider, over plain HTTP the way a browser walks it (cookie jar, one redirect at a time):
/// sign-in page → provider → callback → dashboard cookie as the subject; the returnUrl stays on this site.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class OidcSignInTests : IAsyncLifetime
{
    private OidcProvider _provider = null!;
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync()
    {
        _provider = await OidcProvider.StartAsync(clientId: "livepreview-ui", clientSecret: "s3cret-of-the-ui-client");
        _host = await LivePreviewHost.StartAsync(OidcSettings(_provider));
        _provider.RedirectUris[$"{AuthClients.OwnOrigin(_host)}/signin-oidc"] = true;
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _provider.DisposeAsync();
    }

    public static Dictionary<string, string?> OidcSettings(OidcProvider provider) => new()
    {
        ["LivePreview:Auth:Oidc:Authority"] = provider.Issuer,
        ["LivePreview:Auth:Oidc:ClientId"] = provider.ClientId,
        ["LivePreview:Auth:Oidc:ClientSecret"] = provider.ClientSecret,
        ["LivePreview:Auth:Oidc:RequireHttpsMetadata"] = "false",
        ["LivePreview:Auth:Oidc:DisplayName"] = "Test IdP",
        ["LivePreview:Auth:Oidc:AdminSubjects:0"] = "root-subject",
    };

    [Fact]
    public async Task The_sign_in_page_offers_the_provider_beside_the_key_form()
    {
        using var client = AuthClients.Anonymous(_host);

        var html = await client.GetStringAsync("login?returnUrl=%2Fprototype");

        Assert.Contains("Sign in with Test IdP", html, StringComparison.Ordinal);
        Assert.Contains("action=\"/login/oidc\"", html, StringComparison.Ordinal);
        Assert.Contains("value=\"/prototype\"", html, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"signin-key\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signing_in_at_the_provider_uses_code_and_pkce_and_signs_in_the_subject_with_its_name()
    {
        _provider.User = new OidcUser("sub-alice-42", Name: "Alice Example", Email: "alice@example.com");
        using var browser = new OidcBrowserClient(AuthClients.OwnOrigin(_host));

        var landing = await browser.SignInAsync("/prototype");
        var me = await browser.Client.GetFromJsonAsync<JsonElement>("api/v1/me");

        Assert.Equal("/prototype", landing);
        Assert.Equal("sub-alice-42", me.GetProperty("user").GetString());
        Assert.Equal("Alice Example", me.GetProperty("name").GetString());
        Assert.False(me.GetProperty("admin").GetBoolean());
        var authorize = Assert.Single(_provider.Authorizations);
        Assert.Equal("code", authorize["response_type"]);
        Assert.Equal("S256", authorize["code_challenge_method"]);
        Assert.Contains(authorize["response_mode"].ToString(), new[] { "", "query" }); // query is the default for code: often left out
        Assert.Equal(1, _provider.TokensIssued);
        using var keys = await browser.Client.GetAsync("api/v1/keys");
        Assert.Equal(HttpStatusCode.Forbidden, keys.StatusCode);
    }

    [Fact]
    public async Task A_listed_admin_subject_signs_in_as_an_admin_and_the_name_falls_back_to_the_username()
    {
        _provider.User = new OidcUser("root-subject", PreferredUsername: "root");
        using var browser = new OidcBrowserClient(AuthClients.OwnOrigin(_host));

        await browser.SignInAsync("/");
        var me = await browser.Client.GetFromJsonAsync<JsonElement>("api/v1/me");
        using var keys = await browser.Client.GetAsync("api/v1/keys");

        Assert.Equal("root", me.GetProperty("name").GetString());
        Assert.True(me.GetProperty("admin").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, keys.StatusCode);
    }

    [Fact]
    public async Task On_http_the_correlation_and_nonce_cookies_are_lax_http_only_and_scoped_to_the_callback_and_the_sign_in_is_strict()
    {
        using var browser = new OidcBrowserClient(AuthClients.OwnOrigin(_host));

        await browser.SignInAsync("/");

        var flow = browser.SetCookies.Where(c => c.StartsWith(".AspNetCore.Correlation.", StringComparison.Ordinal) || c.StartsWith(".AspNetCore.OpenIdConnect.Nonce.", StringComparison.Ordinal))
            .Where(c => !c.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase)).Select(c => c.ToLowerInvariant()).ToList();
        Assert.Equal(2, flow.Count);
        Assert.All(flow, c =>
        {
            Assert.Contains("samesite=lax", c, StringComparison.Ordinal);
            Assert.Contains("httponly", c, StringComparison.Ordinal);
            Assert.Contains("path=/signin-oidc", c, StringComparison.Ordinal);
            Assert.DoesNotContain("secure", c, StringComparison.Ordinal);
        });
        var signIn = Assert.Single(browser.SetCookies, c => c.StartsWith("livepreview=", StringComparison.Ordinal)).ToLowerInvariant();
        Assert.Contains("samesite=strict", signIn, StringComparison.Ordinal);
        Assert.Contains("httponly", signIn, StringComparison.Ordinal);
        Assert.DoesNotContain("domain=", signIn, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("//evil.example/")]
    [InlineData("/\\evil.example/")]
    [InlineData("https://evil.example/")]
    [InlineData("javascript:alert(1)")]
    public async Task An_open_redirect_through_the_return_url_lands_on_the_dashboard_root(string returnUrl)
    {
        using var browser = new OidcBrowserClient(AuthClients.OwnOrigin(_host));

        var landing = await browser.SignInAsync(returnUrl);
        using var anonymous = AuthClients.Anonymous(_host);
        using var complete = await anonymous.GetAsync($"login/complete?returnUrl={Uri.EscapeDataString(returnUrl)}");
        var html = await complete.Content.ReadAsStringAsync();

        Assert.Equal("/", landing);
        Assert.Contains("content=\"0;url=/\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("evil.example", html, StringComparison.Ordinal);
        Assert.DoesNotContain("javascript", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Starting_a_sign_in_from_another_origin_is_refused()
    {
        using var client = AuthClients.Anonymous(_host);
        using var request = new HttpRequestMessage(HttpMethod.Post, "login/oidc") { Content = new FormUrlEncodedContent([new("returnUrl", "/")]) };
        request.Headers.Add("Origin", AuthClients.PreviewOrigin(_host));

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(_provider.Authorizations);
    }

    [Fact]
    public async Task A_callback_replayed_without_the_browser_that_started_it_signs_nobody_in()
    {
        using var browser = new OidcBrowserClient(AuthClients.OwnOrigin(_host));
        var callback = await browser.ToCallbackAsync("/");

        using var stranger = AuthClients.Anonymous(_host);
        using var replay = await stranger.GetAsync(callback);

        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.DoesNotContain(replay.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [], c => c.StartsWith("livepreview=", StringComparison.Ordinal));
        Assert.Contains("did not start this sign-in", await replay.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_provider_that_cannot_be_reached_gets_a_page_saying_so_not_an_error()
    {
        await _provider.DisposeAsync();
        using var client = AuthClients.Anonymous(_host);
        using var request = new HttpRequestMessage(HttpMethod.Post, "login/oidc") { Content = new FormUrlEncodedContent([new("returnUrl", "/keys")]) };
        request.Headers.Add("Origin", AuthClients.OwnOrigin(_host));

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("could not be reached", html, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"signin-key\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sign_in_declined_at_the_provider_shows_the_sign_in_page_again_saying_so()
    {
        _provider.Deny = true;
        using var browser = new OidcBrowserClient(AuthClients.OwnOrigin(_host));
        using var start = new HttpRequestMessage(HttpMethod.Post, "login/oidc") { Content = new FormUrlEncodedContent([new("returnUrl", "/keys")]) };
        start.Headers.Add("Origin", AuthClients.OwnOrigin(_host));
        using var challenge = await browser.Client.SendAsync(start);
        using var authorize = await browser.Client.GetAsync(challenge.Headers.Location);

        using var callback = await browser.Client.GetAsync(authorize.Headers.Location);
        var html = await callback.Content.ReadAsStringAsync();

        Assert.Contains("error=access_denied", authorize.Headers.Location!.Query, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, callback.StatusCode);
        Assert.Contains("cancelled or refused at the identity provider", html, StringComparison.Ordinal);
        Assert.Contains("value=\"/keys\"", html, StringComparison.Ordinal);
        Assert.True(callback.Headers.CacheControl?.NoStore);
        Assert.Equal(0, _provider.TokensIssued);
    }

    [Theory]
    [InlineData(OidcTamper.Nonce, "nonce mismatch")]
    [InlineData(OidcTamper.Issuer, "unexpected issuer")]
    [InlineData(OidcTamper.Audience, "another application (audience)")]
    public async Task An_id_token_with_a_wrong_nonce_issuer_or_audience_is_refused_with_a_clear_page(OidcTamper tamper, string reason)
    {
        _provider.Tamper = tamper;
        using var browser = new OidcBrowserClient(AuthClients.OwnOrigin(_host));
        var callback = await browser.ToCallbackAsync("/");

        using var response = await browser.Client.GetAsync(callback);
        using var me = await browser.Client.GetAsync("api/v1/me");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("Sign-in with Test IdP failed", html, StringComparison.Ordinal);
        Assert.Contains(reason, html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
    }
}
