using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Sandboxes.Contract;

/// <summary>
/// The whole service on the Kubernetes provider: a react-vite sandbox as a pod of <see cref="FakeKubernetes"/> (a real local
/// sandbox from the built snapshot, the image's stand-in, with a real Vite dev server started through exec), previewed
/// through our proxy, which dials the pod IP; an edit through the files API (exec again) reaches the page as an HMR update.
/// </summary>
public sealed class KubernetesServiceTests : IAsyncLifetime
{
    private FakeKubernetes _kube = null!;
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync()
    {
        var snapshot = Directory.GetDirectories(LivePreviewHost.SharedSnapshotRoot, "react-vite-*")
            .FirstOrDefault(d => !Path.GetFileName(d).Contains('.') && File.Exists(Path.Join(d, "manifest.json")))
            ?? throw new InvalidOperationException($"No built react-vite snapshot under {LivePreviewHost.SharedSnapshotRoot}; run a Local preview test first (it builds one).");
        _kube = await FakeKubernetes.StartAsync(new Dictionary<string, string> { ["registry.test/livepreview/react-vite:1"] = snapshot });
        _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:Sandboxes:Provider"] = "Kubernetes",
            ["LivePreview:Sandboxes:Kubernetes:KubeConfig"] = _kube.KubeConfigPath,
            ["LivePreview:Sandboxes:Kubernetes:Namespace"] = FakeKubernetes.Namespace,
            ["LivePreview:Sandboxes:Kubernetes:Images:react-vite"] = "registry.test/livepreview/react-vite:1",
            ["LivePreview:Sandboxes:Kubernetes:IngressCidrs:0"] = "10.0.0.0/8",
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _kube.DisposeAsync();
    }

    [Fact]
    public async Task A_react_vite_sandbox_on_Kubernetes_is_previewed_through_the_proxy_and_an_edit_arrives_as_an_hmr_update()
    {
        var sandbox = await _host.CreateSandboxAsync("react-vite");
        var id = sandbox.GetProperty("id").GetString()!;
        Assert.Equal("kubernetes", sandbox.GetProperty("provider").GetString());
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
            Content = new StringContent("export default function App() { return <h1>edited on kubernetes</h1>; }\n"),
        };
        (await _host.Http.SendAsync(edit)).EnsureSuccessStatusCode();

        Assert.True(await ReceiveUpdateAsync(socket), "no HMR update after the edit");
        Assert.Contains("edited on kubernetes", await _host.Http.GetStringAsync(origin + "/src/App.tsx"));
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
