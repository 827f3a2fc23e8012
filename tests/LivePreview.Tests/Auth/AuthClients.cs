using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using LivePreview.Auth;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Auth;

/// <summary>Clients with exactly the credentials a test gives them: no cookie jar, no redirects, no default key.</summary>
internal static class AuthClients
{
    public static HttpClient Anonymous(LivePreviewHost host) =>
        new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{host.Port}/"),
            Timeout = TimeSpan.FromSeconds(30),
        };

    public static HttpClient WithKey(LivePreviewHost host, string key)
    {
        var client = Anonymous(host);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>The dashboard's own origin as a browser on this host would send it.</summary>
    public static string OwnOrigin(LivePreviewHost host) => $"http://127.0.0.1:{host.Port}";

    /// <summary>The origin of a preview page of the same service: same site, another origin.</summary>
    public static string PreviewOrigin(LivePreviewHost host) => $"http://5173-abcdefghijkl.preview.localhost:{host.Port}";

    /// <summary>Follows a fresh one-time login link and returns the dashboard cookie it set ("name=value").</summary>
    public static async Task<string> SignInWithLoginLinkAsync(LivePreviewHost host)
    {
        using var client = Anonymous(host);
        using var response = await client.GetAsync($"login?token={host.Service<LoginLinks>().Issue()}");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return CookieFrom(response);
    }

    public static string CookieFrom(HttpResponseMessage response)
    {
        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        return setCookie.Split(';')[0];
    }

    /// <summary>The event stream's handshake: the status code the server answered (101 when it upgraded).</summary>
    public static async Task<HttpStatusCode> EventSocketStatusAsync(LivePreviewHost host, string? key = null, string? cookie = null, string? origin = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.Proxy = null;
        socket.Options.CollectHttpResponseDetails = true;
        if (key is not null)
        {
            socket.Options.SetRequestHeader("Authorization", $"Bearer {key}");
        }
        if (cookie is not null)
        {
            socket.Options.SetRequestHeader("Cookie", cookie);
        }
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{host.Port}/api/v1/events/ws"), timeout.Token);
        }
        catch (WebSocketException)
        {
            return socket.HttpStatusCode;
        }
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
        return socket.HttpStatusCode;
    }
}
