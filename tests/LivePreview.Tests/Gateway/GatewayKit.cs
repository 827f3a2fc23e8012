using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Gateway;

/// <summary>Helpers of the gateway tests: running sandboxes without a dev server, and an HTTP client on the gateway's Unix socket.</summary>
internal static class GatewayKit
{
    public static readonly Dictionary<string, string?> NoPreview = new() { ["LivePreview:Sandboxes:AutoStartPreview"] = "false" };

    public static async Task<string> RunningSandboxAsync(LivePreviewHost host, HttpClient? client = null)
    {
        client ??= host.Http;
        using var created = await client.PostAsJsonAsync("api/v1/sandboxes", new { framework = "react-vite" });
        created.EnsureSuccessStatusCode();
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        for (var i = 0; i < 600; i++)
        {
            var sandbox = await client.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{id}");
            var status = sandbox.GetProperty("status").GetString();
            if (status == "running")
            {
                return id;
            }
            Assert.NotEqual("error", status);
            await Task.Delay(200);
        }
        throw new TimeoutException($"Sandbox {id} never became running.");
    }

    /// <summary>A client whose every connection goes to the gateway's Unix socket (as a sandbox listener's relay does).</summary>
    public static HttpClient SocketClient(LivePreviewHost host, string? token = null)
    {
        var path = Path.Combine(host.DataDirectory, "gateway.sock");
        var client = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        }) { BaseAddress = new Uri("http://gateway/"), Timeout = TimeSpan.FromMinutes(2) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        }
        return client;
    }

    public static async Task<HttpClient> SecondUserAsync(LivePreviewHost host, string user)
    {
        using var response = await host.Http.PostAsJsonAsync("api/v1/keys", new { user, name = "gateway" });
        response.EnsureSuccessStatusCode();
        var key = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        var client = host.CreateLoopbackClient(useCookies: false);
        client.BaseAddress = host.BaseUri;
        client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        return client;
    }
}
