using System.Net;
using System.Net.Sockets;
using System.Text;
using LivePreview.Events;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Containment;

/// <summary>One service and one hostile sandbox for the class (a sandbox and a Vite restart take seconds).</summary>
public sealed class HostileDevServer : IAsyncLifetime
{
    public const int ReportCap = 6;

    public LoopbackListener Listener { get; } = new();

    public LivePreviewHost Host { get; private set; } = null!;

    public string Id { get; private set; } = null!;

    public string Url { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:Previews:ReadinessTimeout"] = "00:00:20",
            ["LivePreview:Previews:ReportBurst"] = "4",
            ["LivePreview:Previews:ReportsPerSecond"] = "1",
            ["LivePreview:Previews:MaxReportsPerWindow"] = ReportCap.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        (Id, Url) = await CreateHostileSandboxAsync();
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        Listener.Dispose();
    }

    /// <summary>A sandbox whose dev server runs the attacker's config (written through the files API, then the dev server restarted).</summary>
    public async Task<(string Id, string Url)> CreateHostileSandboxAsync(bool redirectEverything = false)
    {
        var id = (await Host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        await Host.WaitForPreviewAsync(id);
        await PutAsync(id, "vite.config.mjs", HostileConfig(Listener.Port));
        if (redirectEverything)
        {
            await PutAsync(id, "redirect-everything", "yes");
        }
        var crashed = await WaitForEventAsync(id, EventTypes.DevServerCrashed);
        await SandboxProcesses.KillAllAsync(id);
        await crashed;
        if (redirectEverything)
        {
            return (id, "");
        }
        var url = (await Host.WaitForPreviewAsync(id)).GetProperty("preview_url").GetString()!;
        Assert.Equal("hostile", await Host.Http.GetStringAsync(url + "hostile/alive"));
        return (id, url);
    }

    private async Task PutAsync(string id, string path, string content)
    {
        using var put = await Host.Http.PutAsync($"api/v1/sandboxes/{id}/files/{path}", new StringContent(content));
        put.EnsureSuccessStatusCode();
    }

    private async Task<Task<LivePreviewEvent>> WaitForEventAsync(string sandboxId, string type)
    {
        var subscribed = new TaskCompletionSource();
        var bus = Host.Service<IEventBus>();
        var next = Task.Run(async () =>
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var stream = bus.SubscribeAsync(new EventFilter(sandboxId, new HashSet<string> { type }), cts.Token).GetAsyncEnumerator(cts.Token);
            var moved = stream.MoveNextAsync();
            subscribed.SetResult();
            Assert.True(await moved);
            return stream.Current;
        });
        await subscribed.Task;
        await Task.Delay(50);
        return next;
    }

    /// <summary>The attacker's tool: code that runs in the sandbox as part of the dev server.</summary>
    private static string HostileConfig(int listenerPort) => $$"""
        import { defineConfig } from 'vite'
        import react from '@vitejs/plugin-react'
        import fs from 'node:fs'
        import path from 'node:path'

        const endless = (res, type, head) => {
          res.writeHead(200, { 'Content-Type': type })
          if (head) res.write(head)
          const chunk = Buffer.alloc(64 * 1024, type.startsWith('text/html') ? '<p>endless page</p>' : 'x')
          const pump = () => { while (!res.destroyed && res.write(chunk)) {} }
          res.on('drain', pump)
          pump()
        }

        const hostile = {
          name: 'hostile',
          configureServer(server) {
            server.middlewares.use((req, res, next) => {
              const url = req.url || '/'
              const everything = fs.existsSync(path.join(server.config.root, 'redirect-everything'))
              if (url.startsWith('/hostile/redirect-loopback') || everything) {
                res.writeHead(302, { Location: 'http://127.0.0.1:{{listenerPort}}/steal' }); res.end(); return
              }
              if (url.startsWith('/hostile/redirect-metadata')) {
                res.writeHead(302, { Location: 'http://169.254.169.254/latest/meta-data/' }); res.end(); return
              }
              if (url === '/hostile/alive') { res.end('hostile'); return }
              if (url === '/hostile/headers') { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(req.headers)); return }
              if (url === '/hostile/endless.html') { endless(res, 'text/html; charset=utf-8', '<!doctype html><html><head><title>endless</title></head><body>'); return }
              if (url === '/hostile/endless.bin') { endless(res, 'application/octet-stream'); return }
              if (url === '/hostile/small.html') {
                res.writeHead(200, { 'Content-Type': 'text/html' })
                res.write('<!doctype html><html><head><title>small</title></head>')
                res.end('<body>small</body></html>')
                return
              }
              next()
            })
          },
        }

        export default defineConfig({ plugins: [react(), hostile] })
        """;

    /// <summary>A server on the host's loopback that the sandbox names in its redirects; it must never see a connection.</summary>
    public sealed class LoopbackListener : IDisposable
    {
        public const string Secret = "LISTENER-SECRET-9f1c";
        private readonly TcpListener Listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private int _connections;

        public LoopbackListener()
        {
            Listener.Start();
            _ = AcceptAsync();
        }

        public int Port => ((IPEndPoint)Listener.LocalEndpoint).Port;

        public int Connections => Volatile.Read(ref _connections);

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    using var client = await Listener.AcceptTcpClientAsync(_stop.Token);
                    Interlocked.Increment(ref _connections);
                    var answer = Encoding.ASCII.GetBytes($"HTTP/1.1 500 Internal Server Error\r\nContent-Length: {Secret.Length}\r\nConnection: close\r\n\r\n{Secret}");
                    await client.GetStream().WriteAsync(answer, _stop.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            Listener.Stop();
            _stop.Dispose();
        }
    }
}
