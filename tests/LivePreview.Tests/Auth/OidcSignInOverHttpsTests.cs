using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Auth;

/// <summary>
/// The same sign-in on an https deployment (Kestrel with a certificate made here): the redirect URI is https, the
/// correlation and nonce cookies are Secure, and the dashboard cookie is <c>__Host-livepreview</c> (Secure, Path=/, no Domain).
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class OidcSignInOverHttpsTests : IAsyncLifetime
{
    private readonly X509Certificate2 _certificate = MakeCertificate();
    private readonly string _certificateDirectory = Directory.CreateTempSubdirectory("livepreview-oidc-tls-").FullName;
    private OidcProvider _provider = null!;
    private LivePreviewHost _host = null!;

    private string Origin => $"https://127.0.0.1:{_host.Port}";

    public async Task InitializeAsync()
    {
        var pfx = Path.Join(_certificateDirectory, "service.pfx");
        await File.WriteAllBytesAsync(pfx, _certificate.Export(X509ContentType.Pfx, "test-password"));
        _provider = await OidcProvider.StartAsync(clientId: "livepreview-ui");
        var settings = OidcSignInTests.OidcSettings(_provider);
        settings["urls"] = "https://127.0.0.1:0";
        settings["Kestrel:Certificates:Default:Path"] = pfx;
        settings["Kestrel:Certificates:Default:Password"] = "test-password";
        _host = await LivePreviewHost.StartAsync(settings);
        _provider.RedirectUris[$"{Origin}/signin-oidc"] = true;
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _provider.DisposeAsync();
        _certificate.Dispose();
        Directory.Delete(_certificateDirectory, recursive: true);
    }

    [Fact]
    public async Task Over_https_the_redirect_uri_is_https_the_flow_cookies_are_secure_and_the_sign_in_is_a_host_prefixed_cookie()
    {
        _provider.User = new OidcUser("sub-bob", Name: "Bob");
        using var browser = new OidcBrowserClient(Origin, TrustingOnly(_certificate));

        var landing = await browser.SignInAsync("/");
        var me = await browser.Client.GetFromJsonAsync<JsonElement>("api/v1/me");

        Assert.Equal("/", landing);
        Assert.Equal("sub-bob", me.GetProperty("user").GetString());
        Assert.Equal($"{Origin}/signin-oidc", Assert.Single(_provider.Authorizations)["redirect_uri"]);
        var flow = browser.SetCookies.Where(c => c.StartsWith(".AspNetCore.", StringComparison.Ordinal)).Select(c => c.ToLowerInvariant()).ToList();
        Assert.NotEmpty(flow);
        Assert.All(flow, c => Assert.Contains("secure", c, StringComparison.Ordinal));
        var signIn = Assert.Single(browser.SetCookies, c => c.StartsWith("__Host-livepreview=", StringComparison.Ordinal)).ToLowerInvariant();
        Assert.Contains("secure", signIn, StringComparison.Ordinal);
        Assert.Contains("samesite=strict", signIn, StringComparison.Ordinal);
        Assert.Contains("path=/", signIn, StringComparison.Ordinal);
        Assert.DoesNotContain("domain=", signIn, StringComparison.Ordinal);
    }

    private static SocketsHttpHandler TrustingOnly(X509Certificate2 certificate) => new()
    {
        SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == certificate.GetCertHashString() },
    };

    private static X509Certificate2 MakeCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }
}
