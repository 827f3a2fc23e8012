using System.Net;

namespace LivePreview.Tests.Auth;

/// <summary>
/// A cookie jar that walks an OIDC sign-in one redirect at a time, across the service and the provider, as a browser
/// does; every answer on the way is kept so tests can read the cookies it set.
/// </summary>
internal sealed class OidcBrowserClient : IDisposable
{
    private readonly string _origin;

    public OidcBrowserClient(string origin, SocketsHttpHandler? handler = null)
    {
        _origin = origin;
        handler ??= new SocketsHttpHandler();
        handler.UseProxy = false;
        handler.AllowAutoRedirect = false;
        handler.UseCookies = true;
        handler.CookieContainer = new CookieContainer();
        Client = new HttpClient(handler) { BaseAddress = new Uri($"{origin}/"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public HttpClient Client { get; }

    /// <summary>The Set-Cookie headers of every answer so far, in order.</summary>
    public List<string> SetCookies { get; } = [];

    /// <summary>Clicks "Sign in with …", goes through the provider, and returns the callback URL it was sent back to.</summary>
    public async Task<string> ToCallbackAsync(string returnUrl)
    {
        using var start = new HttpRequestMessage(HttpMethod.Post, "login/oidc") { Content = new FormUrlEncodedContent([new("returnUrl", returnUrl)]) };
        start.Headers.Add("Origin", _origin);
        using var challenge = await SendAsync(start);
        Assert.Equal(HttpStatusCode.Redirect, challenge.StatusCode);
        using var authorize = await Client.GetAsync(challenge.Headers.Location);
        Assert.Equal(HttpStatusCode.Redirect, authorize.StatusCode);
        var callback = authorize.Headers.Location!.ToString();
        Assert.StartsWith($"{_origin}/signin-oidc?code=", callback, StringComparison.Ordinal);
        return callback;
    }

    /// <summary>The whole sign-in; returns where <c>/login/complete</c> sends the browser on.</summary>
    public async Task<string> SignInAsync(string returnUrl)
    {
        using var callback = await SendAsync(new HttpRequestMessage(HttpMethod.Get, await ToCallbackAsync(returnUrl)));
        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        var complete = callback.Headers.Location!.OriginalString;
        Assert.StartsWith("/login/complete?returnUrl=", complete, StringComparison.Ordinal);
        return Uri.UnescapeDataString(complete["/login/complete?returnUrl=".Length..]);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            var response = await Client.SendAsync(request);
            SetCookies.AddRange(response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : []);
            return response;
        }
    }

    public void Dispose() => Client.Dispose();
}
