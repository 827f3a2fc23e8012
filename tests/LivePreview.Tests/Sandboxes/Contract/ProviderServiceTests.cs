using System.Net;
using System.Net.WebSockets;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Sandboxes.Contract;

/// <summary>
/// The whole service on a provider other than Local, against that provider's wire-format double: a react-vite sandbox
/// from the built snapshot, previewed through our proxy (with our client script injected on the way), and an edit
/// through the files API that reaches Vite's HMR socket as an update. One class per provider supplies the double and
/// the settings naming it.
/// </summary>
/// <param name="provider">The provider's name as the API reports it (<c>sandbox.provider</c>).</param>
public abstract class ProviderServiceTests(string provider) : IAsyncLifetime
{
    protected LivePreviewHost Host { get; private set; } = null!;

    /// <summary>Starts the double, with <paramref name="snapshot"/> (a built react-vite snapshot folder) as what it runs; returns the service's settings.</summary>
    protected abstract Task<IDictionary<string, string?>> StartProviderAsync(string snapshot);

    protected abstract ValueTask StopProviderAsync();

    public async Task InitializeAsync()
    {
        var snapshot = Directory.GetDirectories(LivePreviewHost.SharedSnapshotRoot, "react-vite-*")
            .FirstOrDefault(d => !Path.GetFileName(d).Contains('.') && File.Exists(Path.Join(d, "manifest.json")))
            ?? throw new InvalidOperationException($"No built react-vite snapshot under {LivePreviewHost.SharedSnapshotRoot}; run a Local preview test first (it builds one).");
        Host = await LivePreviewHost.StartAsync(await StartProviderAsync(snapshot));
    }

    public async Task DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }
        await StopProviderAsync();
    }

    [Fact]
    public async Task A_react_vite_sandbox_on_the_provider_is_previewed_through_the_proxy_and_an_edit_arrives_as_an_hmr_update()
    {
        var sandbox = await Host.CreateSandboxAsync("react-vite");
        var id = sandbox.GetProperty("id").GetString()!;
        Assert.Equal(provider, sandbox.GetProperty("provider").GetString());
        await Host.WaitForPreviewAsync(id);
        var origin = $"http://5173-{id}.preview.localhost:{Host.Port}";

        using var document = new HttpRequestMessage(HttpMethod.Get, origin + "/");
        document.Headers.Accept.ParseAdd("text/html");
        using var page = await Host.Http.SendAsync(document);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("/@vite/client", html);
        Assert.Contains("/__livepreview/client.js", html); // our client script went in on the way through
        var client = await Host.Http.GetStringAsync(origin + "/@vite/client");
        var token = System.Text.RegularExpressions.Regex.Match(client, "wsToken = \"([^\"]+)\"").Groups[1].Value;

        using var socket = new ClientWebSocket();
        socket.Options.Proxy = null;
        socket.Options.AddSubProtocol("vite-hmr");
        socket.Options.SetRequestHeader("Host", new Uri(origin).Authority);
        socket.Options.SetRequestHeader("Origin", origin);
        socket.Options.SetRequestHeader("Authorization", $"Bearer {Host.AdminKey}");
        using var connect = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{Host.Port}/?token={token}"), connect.Token);
        await Host.Http.GetStringAsync(origin + "/src/App.tsx"); // Vite watches a module once it has served it

        using var edit = new HttpRequestMessage(HttpMethod.Put, $"api/v1/sandboxes/{id}/files/src/App.tsx")
        {
            Content = new StringContent($"export default function App() {{ return <h1>edited on {provider}</h1>; }}\n"),
        };
        (await Host.Http.SendAsync(edit)).EnsureSuccessStatusCode();

        Assert.True(await ReceiveUpdateAsync(socket), "no HMR update after the edit");
        Assert.Contains($"edited on {provider}", await Host.Http.GetStringAsync(origin + "/src/App.tsx"));
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
