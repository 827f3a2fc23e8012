using LivePreview.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LivePreview.EndToEnd.Ui;

/// <summary>
/// Dashboard sign-in at an OIDC provider in Chromium, on the http://localhost default: the dashboard sends the browser
/// to the sign-in page, "Sign in with …" to the provider (a local one on 127.0.0.1, another site), and the provider back
/// with a code; the dashboard then shows the provider's name for the user. A provider answer that is not for this sign-in
/// is refused with a page that says why. Correlation and nonce cookies, the callback and the SameSite=Strict dashboard
/// cookie all have to work across that cross-site redirect chain for this to pass. The provider shows a page the person
/// confirms on, as real ones do, so the way back starts on another site: redirecting from the callback straight to the
/// dashboard (without <c>/login/complete</c>) lands on the sign-in page here, because the Strict cookie stays behind.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class OidcSignInInBrowserTests : IAsyncLifetime
{
    private OidcProvider _provider = null!;
    private LivePreviewHost _host = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        _provider = await OidcProvider.StartAsync(clientId: "livepreview-ui");
        _provider.Interactive = true;
        _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:Auth:Oidc:Authority"] = _provider.Issuer,
            ["LivePreview:Auth:Oidc:ClientId"] = _provider.ClientId,
            ["LivePreview:Auth:Oidc:RequireHttpsMetadata"] = "false",
            ["LivePreview:Auth:Oidc:DisplayName"] = "Test IdP",
        });
        _provider.RedirectUris[new Uri(_host.BaseUri, "signin-oidc").ToString()] = true;
        (_playwright, _browser) = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _host.DisposeAsync();
        await _provider.DisposeAsync();
    }

    [Fact]
    public async Task The_dashboard_sends_a_stranger_to_the_provider_and_back_signed_in_with_their_name_in_the_header_until_they_sign_out()
    {
        _provider.User = new OidcUser("sub-alice-42", Name: "Alice Example", Email: "alice@example.com");
        var page = await _browser.NewPageAsync();
        var log = BrowserLog.Attach(page);

        await page.GotoAsync(new Uri(_host.BaseUri, "prototype").ToString());
        Assert.Equal("/login", new Uri(page.Url).AbsolutePath);
        await Expect(page.GetByTestId("signin-oidc")).ToHaveTextAsync("Sign in with Test IdP");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ArtifactsDirectory("auth"), "oidc-signin.png") });
        await page.GetByTestId("signin-oidc").ClickAsync();
        await page.GetByTestId("idp-continue").ClickAsync();

        await page.WaitForURLAsync(new Uri(_host.BaseUri, "prototype").ToString());
        await log.WaitAsync(Expect(page.GetByTestId("user-name")).ToHaveTextAsync("Alice Example"));
        Assert.Equal("code", Assert.Single(_provider.Authorizations)["response_type"]);
        Assert.Equal(1, _provider.TokensIssued);
        var cookie = Assert.Single(await page.Context.CookiesAsync(), c => c.Name == "livepreview");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name.StartsWith(".AspNetCore.Correlation", StringComparison.Ordinal));
        await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ArtifactsDirectory("auth"), "oidc-signed-in.png") });

        await page.GetByTestId("sign-out").ClickAsync();
        await page.WaitForURLAsync("**/login");
        await page.GotoAsync(_host.BaseUri.ToString());
        Assert.Equal("/login", new Uri(page.Url).AbsolutePath);
    }

    [Theory]
    [InlineData(OidcTamper.Nonce, "nonce mismatch")]
    [InlineData(OidcTamper.Issuer, "unexpected issuer")]
    [InlineData(OidcTamper.Audience, "another application (audience)")]
    public async Task A_provider_answer_with_a_wrong_nonce_issuer_or_audience_is_refused_with_a_clear_page(OidcTamper tamper, string reason)
    {
        _provider.Tamper = tamper;
        var page = await _browser.NewPageAsync();

        await page.GotoAsync(new Uri(_host.BaseUri, "login").ToString());
        await page.GetByTestId("signin-oidc").ClickAsync();
        await page.GetByTestId("idp-continue").ClickAsync();

        await Expect(page.GetByTestId("signin-error")).ToContainTextAsync("Sign-in with Test IdP failed");
        await Expect(page.GetByTestId("signin-error")).ToContainTextAsync(reason);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ArtifactsDirectory("auth"), $"oidc-refused-{tamper}.png") });
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "livepreview");
        await page.GotoAsync(_host.BaseUri.ToString());
        Assert.Equal("/login", new Uri(page.Url).AbsolutePath);
    }
}
