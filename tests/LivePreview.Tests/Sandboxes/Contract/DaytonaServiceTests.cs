using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Sandboxes.Contract;

/// <summary>
/// The whole service on the Daytona provider: a react-vite sandbox on <see cref="FakeDaytona"/> (the built snapshot copied
/// into it, a real Vite dev server run by the fake), previewed through our proxy, which forwards to Daytona's preview URL
/// with the preview token; an edit through the files API reaches the page as an HMR update.
/// </summary>
public sealed class DaytonaServiceTests : IAsyncLifetime
{
    private FakeDaytona _daytona = null!;
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync()
    {
        var snapshot = Directory.GetDirectories(LivePreviewHost.SharedSnapshotRoot, "react-vite-*")
            .FirstOrDefault(d => !Path.GetFileName(d).Contains('.') && File.Exists(Path.Join(d, "manifest.json")))
            ?? throw new InvalidOperationException($"No built react-vite snapshot under {LivePreviewHost.SharedSnapshotRoot}; run a Local preview test first (it builds one).");
        _daytona = await FakeDaytona.StartAsync(new Dictionary<string, string> { ["lp-react-vite"] = snapshot });
        _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:Sandboxes:Provider"] = "Daytona",
            ["LivePreview:Sandboxes:Daytona:ApiUrl"] = _daytona.ApiUrl.AbsoluteUri,
            ["LivePreview:Sandboxes:Daytona:ApiKey"] = _daytona.ApiKey,
            ["LivePreview:Sandboxes:Daytona:Snapshots:react-vite"] = "lp-react-vite",
            ["LivePreview:Sandboxes:Daytona:WorkspaceDirectory"] = "app",
            ["LivePreview:Sandboxes:Daytona:PollInterval"] = "00:00:00.200",
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _daytona.DisposeAsync();
    }

    [Fact]
    public async Task A_react_vite_sandbox_on_Daytona_is_previewed_through_the_proxy_and_an_edit_arrives_as_an_hmr_update()
    {
        var sandbox = await _host.CreateSandboxAsync("react-vite");
        var id = sandbox.GetProperty("id").GetString()!;
        Assert.Equal("daytona", sandbox.GetProperty("provider").GetString());
        await _host.WaitForPreviewAsync(id);
        var origin = $"http://5173-{id}.preview.localhost:{_host.Port}";

        using var document = new HttpRequestMessage(HttpMethod.Get, origin + "/");
        document.Headers.Accept.ParseAdd("text/html");
        using var page = await _host.Http.SendAsync(document);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("/@vite/client", html);
        Assert.Contains("/__livepreview/client.js", html); // our client script went in on the way through
        var client = await _host.Http.GetStringAsync(origin + "/@vite/client");
        var token = System.Text.RegularExpressions.Regex.Match(client, "wsToken = \"([^\"]+)\"").Groups[1].Value;

        using var socket = new ClientWebSocket();
        socket.Options.Proxy = null;
        socket.Options.AddSubProtocol("vite-hmr");
        socket.Options.SetRequestHeader("Host", new Uri(origin).Authority);
        socket.Options.SetRequestHeader("Origin", origin);
        socket.Options.SetRequestHeader("Authorization", $"Bearer {_host.AdminKey}");
        using var connect = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{_host.Port}/?token={token}"), connect.Token);
        await _host.Http.GetStringAsync(origin + "/src/App.tsx"); // Vite watches a module once it has served it

        using var edit = new HttpRequestMessage(HttpMethod.Put, $"api/v1/sandboxes/{id}/files/src/App.tsx")
        {
            Content = new StringContent("export default function App() { return <h1>edited on daytona</h1>; }\n"),
        };
        (await _host.Http.SendAsync(edit)).EnsureSuccessStatusCode();

        Assert.True(await ReceiveUpdateAsync(socket), "no HMR update after the edit");
        Assert.Contains("edited on daytona", await _host.Http.GetStringAsync(origin + "/src/App.tsx"));
    }

    private static async Task<bool> ReceiveUpdateAsync(ClientWebSocket socket)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, bound.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return false;
                }
                var text = System.Text.Encoding.UTF8.GetString(buffer, 0, result.Count);
                if (text.Contains("\"update\"", StringComparison.Ordinal) || text.Contains("\"full-reload\"", StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            return false;
        }
    }
}
