using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Auth;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Auth;

/// <summary>
/// The dashboard cookie: made by the one-time login link or a pasted key, HttpOnly, SameSite=Strict, host-only;
/// refused cross-origin on every WebSocket and state-changing request; ended by revoking its key.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class SignInTests : IAsyncLifetime
{
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync() => _host = await LivePreviewHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task The_login_link_sets_a_strict_http_only_host_only_cookie_and_redirects_to_the_clean_url()
    {
        using var anonymous = AuthClients.Anonymous(_host);

        using var response = await anonymous.GetAsync($"login?token={_host.Service<LoginLinks>().Issue()}");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location!.OriginalString);
        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie")).ToLowerInvariant();
        Assert.StartsWith("livepreview=", setCookie, StringComparison.Ordinal);
        Assert.Contains("httponly", setCookie, StringComparison.Ordinal);
        Assert.Contains("samesite=strict", setCookie, StringComparison.Ordinal);
        Assert.Contains("path=/", setCookie, StringComparison.Ordinal);
        Assert.DoesNotContain("domain=", setCookie, StringComparison.Ordinal);
        Assert.True(response.Headers.CacheControl?.NoStore);
    }

    [Fact]
    public async Task A_login_link_works_once()
    {
        var token = _host.Service<LoginLinks>().Issue();
        using var anonymous = AuthClients.Anonymous(_host);

        using var first = await anonymous.GetAsync($"login?token={token}");
        using var second = await anonymous.GetAsync($"login?token={token}");

        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, second.StatusCode);
        Assert.False(second.Headers.Contains("Set-Cookie"));
        Assert.Contains("used already or has expired", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cookie_of_the_login_link_opens_the_api_and_the_dashboard_as_the_admin()
    {
        var cookie = await AuthClients.SignInWithLoginLinkAsync(_host);
        using var browser = AuthClients.Anonymous(_host);
        browser.DefaultRequestHeaders.Add("Cookie", cookie);

        using var keys = await browser.GetAsync("api/v1/keys");
        using var page = await browser.GetAsync("");

        Assert.Equal(HttpStatusCode.OK, keys.StatusCode);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("data-testid=\"user-name\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_event_socket_with_the_dashboard_cookie_is_refused_from_a_preview_origin_and_without_an_origin()
    {
        var cookie = await AuthClients.SignInWithLoginLinkAsync(_host);

        Assert.Equal(HttpStatusCode.Forbidden, await AuthClients.EventSocketStatusAsync(_host, cookie: cookie, origin: AuthClients.PreviewOrigin(_host)));
        Assert.Equal(HttpStatusCode.Forbidden, await AuthClients.EventSocketStatusAsync(_host, cookie: cookie, origin: "https://evil.example"));
        Assert.Equal(HttpStatusCode.Forbidden, await AuthClients.EventSocketStatusAsync(_host, cookie: cookie));
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await AuthClients.EventSocketStatusAsync(_host, cookie: cookie, origin: AuthClients.OwnOrigin(_host)));
    }

    [Theory]
    [InlineData("POST", "_blazor/negotiate?negotiateVersion=1")]
    [InlineData("POST", "api/v1/sandboxes/abcdefghijkl/stop")]
    [InlineData("DELETE", "api/v1/keys/key_bootstrap")]
    public async Task A_state_changing_request_with_the_dashboard_cookie_from_a_preview_origin_is_403(string method, string path)
    {
        var cookie = await AuthClients.SignInWithLoginLinkAsync(_host);
        using var browser = AuthClients.Anonymous(_host);
        browser.DefaultRequestHeaders.Add("Cookie", cookie);

        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Add("Origin", AuthClients.PreviewOrigin(_host));
        using var response = await browser.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("LivePreview:Auth:DashboardOrigins", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.OK, (await _host.Http.GetAsync("api/v1/keys")).StatusCode);
    }

    [Fact]
    public async Task The_blazor_circuit_negotiates_with_the_dashboard_cookie_from_the_dashboards_own_origin()
    {
        var cookie = await AuthClients.SignInWithLoginLinkAsync(_host);
        using var browser = AuthClients.Anonymous(_host);
        browser.DefaultRequestHeaders.Add("Cookie", cookie);
        using var request = new HttpRequestMessage(HttpMethod.Post, "_blazor/negotiate?negotiateVersion=1");
        request.Headers.Add("Origin", AuthClients.OwnOrigin(_host));

        using var response = await browser.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_bearer_request_from_any_origin_is_not_subject_to_the_origin_check()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/keys") { Content = JsonContent.Create(new { user = "erin", name = "ci" }) };
        request.Headers.Add("Origin", "https://evil.example");

        using var response = await _host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task A_pasted_key_signs_in_and_revoking_that_key_ends_the_sign_in()
    {
        using var created = await _host.Http.PostAsJsonAsync("api/v1/keys", new { user = "frank", name = "browser" });
        var key = await created.Content.ReadFromJsonAsync<JsonElement>();
        using var anonymous = AuthClients.Anonymous(_host);
        using var form = new HttpRequestMessage(HttpMethod.Post, "login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = key.GetProperty("key").GetString()!, ["returnUrl"] = "/prototype" }),
        };
        form.Headers.Add("Origin", AuthClients.OwnOrigin(_host));
        using var signIn = await anonymous.SendAsync(form);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal("/prototype", signIn.Headers.Location!.OriginalString);
        using var browser = AuthClients.Anonymous(_host);
        browser.DefaultRequestHeaders.Add("Cookie", AuthClients.CookieFrom(signIn));
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("api/v1/sandboxes")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync("api/v1/keys")).StatusCode);

        await _host.Http.DeleteAsync($"api/v1/keys/{key.GetProperty("id").GetString()}");

        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("api/v1/sandboxes")).StatusCode);
    }

    [Fact]
    public async Task A_sign_in_form_posted_from_another_origin_is_403_and_sets_no_cookie()
    {
        using var anonymous = AuthClients.Anonymous(_host);
        using var form = new HttpRequestMessage(HttpMethod.Post, "login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = _host.AdminKey }),
        };
        form.Headers.Add("Origin", AuthClients.PreviewOrigin(_host));

        using var response = await anonymous.SendAsync(form);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task A_wrong_pasted_key_shows_the_sign_in_page_again_with_a_401()
    {
        using var anonymous = AuthClients.Anonymous(_host);
        using var form = new HttpRequestMessage(HttpMethod.Post, "login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = "lpk_not_a_key" }),
        };
        form.Headers.Add("Origin", AuthClients.OwnOrigin(_host));

        using var response = await anonymous.SendAsync(form);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("not a valid API key", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signing_out_clears_the_cookie_and_sends_the_browser_to_the_sign_in_page()
    {
        var cookie = await AuthClients.SignInWithLoginLinkAsync(_host);
        using var browser = AuthClients.Anonymous(_host);
        browser.DefaultRequestHeaders.Add("Cookie", cookie);
        using var request = new HttpRequestMessage(HttpMethod.Post, "logout");
        request.Headers.Add("Origin", AuthClients.OwnOrigin(_host));

        using var response = await browser.SendAsync(request);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/login", response.Headers.Location!.OriginalString);
        Assert.Contains("expires=thu, 01 jan 1970", Assert.Single(response.Headers.GetValues("Set-Cookie")).ToLowerInvariant(), StringComparison.Ordinal);
    }
}
