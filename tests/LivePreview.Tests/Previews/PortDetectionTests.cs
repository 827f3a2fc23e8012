using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Previews;

/// <summary>A running service with one react-vite sandbox (its dev server on 5173), shared by the port detection tests.</summary>
public sealed class PortWorld : IAsyncLifetime
{
    public const int MaxPorts = 5;

    public LivePreviewHost Host { get; private set; } = null!;
    public string SandboxId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:Previews:PortDetection:MaxPorts"] = MaxPorts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["LivePreview:Previews:PortDetection:NotHttpAfter"] = "00:00:01",
        });
        SandboxId = (await Host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        await Host.WaitForPreviewAsync(SandboxId);
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// Port detection on a real sandbox through the real API: a second server started with the commands API becomes a port
/// and a preview the proxy serves, goes away when killed; loopback-only, non-HTTP and too many ports are each said so.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class PortDetectionTests(PortWorld world) : IClassFixture<PortWorld>
{
    private HttpClient Http => world.Host.Http;

    private string Id => world.SandboxId;

    [Fact]
    public async Task A_second_http_server_becomes_a_port_and_a_ready_preview_and_goes_away_when_killed()
    {
        var command = await StartAsync("require('http').createServer((q, s) => s.end('api')).listen(3001, '0.0.0.0')");

        var opened = await WaitForEventAsync("PORT_OPENED", 3001);
        Assert.True(opened.GetProperty("reachable").GetBoolean());
        Assert.Equal("0.0.0.0", opened.GetProperty("address").GetString());
        var previewId = opened.GetProperty("preview_id").GetString()!;
        var preview = await WaitForPreviewStatusAsync(previewId, "ready");
        Assert.Equal(3001, preview.GetProperty("port").GetInt32());
        var url = preview.GetProperty("preview_url").GetString()!;
        Assert.Equal($"http://3001-{Id}.preview.localhost:{world.Host.Port}/", url);
        Assert.Equal("api", await Http.GetStringAsync(url));

        var ports = await PortsAsync();
        var dev = Assert.Single(ports, p => p.GetProperty("port").GetInt32() == 5173);
        Assert.True(dev.GetProperty("reachable").GetBoolean());
        Assert.Equal("ready", dev.GetProperty("status").GetString());
        var api = Assert.Single(ports, p => p.GetProperty("port").GetInt32() == 3001);
        Assert.Equal(previewId, api.GetProperty("preview_id").GetString());
        Assert.Equal(url, api.GetProperty("url").GetString());
        // The sandbox lists both previews; the dev server's port made no second one.
        var sandbox = await Http.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{Id}");
        Assert.Contains(sandbox.GetProperty("previews").EnumerateArray(), p => p.GetProperty("id").GetString() == previewId);
        Assert.Single(sandbox.GetProperty("previews").EnumerateArray(), p => p.GetProperty("port").GetInt32() == 5173);
        // Neither the egress proxy's nor the gateway's listener is a port.
        Assert.DoesNotContain(ports, p => p.GetProperty("port").GetInt32() is 3128 or 4319);

        await KillAsync(command);

        await WaitForEventAsync("PORT_CLOSED", 3001);
        await WaitForPreviewStatusAsync(previewId, "stopped");
        Assert.DoesNotContain(await PortsAsync(), p => p.GetProperty("port").GetInt32() == 3001);
        Assert.Contains(await PortsAsync(), p => p.GetProperty("port").GetInt32() == 5173);
    }

    [Fact]
    public async Task A_loopback_only_listener_is_a_port_that_cannot_be_reached_with_a_hint_and_no_preview()
    {
        var command = await StartAsync("require('http').createServer((q, s) => s.end('local')).listen(4000, '127.0.0.1')");
        try
        {
            var opened = await WaitForEventAsync("PORT_OPENED", 4000);

            Assert.False(opened.GetProperty("reachable").GetBoolean());
            Assert.Equal("127.0.0.1", opened.GetProperty("address").GetString());
            Assert.Equal(JsonValueKind.Null, opened.GetProperty("preview_id").ValueKind);
            Assert.Contains("listen on 0.0.0.0", opened.GetProperty("hint").GetString());
            var port = Assert.Single(await PortsAsync(), p => p.GetProperty("port").GetInt32() == 4000);
            Assert.False(port.GetProperty("reachable").GetBoolean());
            Assert.Equal(JsonValueKind.Null, port.GetProperty("preview_id").ValueKind);
            var sandbox = await Http.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{Id}");
            Assert.DoesNotContain(sandbox.GetProperty("previews").EnumerateArray(), p => p.GetProperty("port").GetInt32() == 4000);
            // Said once, not at every look.
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            Assert.Single(await EventsAsync("PORT_OPENED", 4000));
        }
        finally
        {
            await KillAsync(command);
        }
    }

    [Fact]
    public async Task A_port_that_does_not_answer_http_ends_as_a_failed_preview_that_says_so()
    {
        var command = await StartAsync("require('net').createServer(s => s.end('SSH-2.0-not-http\\r\\n')).listen(6000, '0.0.0.0')");
        try
        {
            var opened = await WaitForEventAsync("PORT_OPENED", 6000);

            var preview = await WaitForPreviewStatusAsync(opened.GetProperty("preview_id").GetString()!, "error");
            Assert.Contains("does not answer HTTP", preview.GetProperty("error").GetString());
        }
        finally
        {
            await KillAsync(command);
        }
    }

    [Fact]
    public async Task Ports_beyond_the_limit_are_refused_with_an_event_each()
    {
        int[] wanted = [7001, 7002, 7003, 7004, 7005, 7006];
        var command = await StartAsync($"for (const p of [{string.Join(',', wanted)}]) require('http').createServer((q, s) => s.end('p' + p)).listen(p, '0.0.0.0')");
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            List<int> refused = [];
            List<int> opened = [];
            while (DateTime.UtcNow < deadline)
            {
                opened = await PortsWithAsync("PORT_OPENED", wanted);
                refused = await PortsWithAsync("PORT_REFUSED", wanted);
                if (opened.Count + refused.Count == wanted.Length)
                {
                    break;
                }
                await Task.Delay(200);
            }

            Assert.NotEmpty(refused);
            Assert.Equal(wanted, opened.Concat(refused).Order());
            var ports = await PortsAsync();
            Assert.True(ports.Count <= PortWorld.MaxPorts, $"{ports.Count} ports listed");
            var previews = (await Http.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{Id}")).GetProperty("previews").EnumerateArray().ToList();
            var running = previews.Count(p => p.GetProperty("status").GetString() != "stopped");
            Assert.True(running <= PortWorld.MaxPorts, $"{running} previews not stopped");
            foreach (var port in refused)
            {
                var refusal = Assert.Single(await EventsAsync("PORT_REFUSED", port));
                Assert.Contains("MaxPorts", refusal.GetProperty("reason").GetString());
                Assert.DoesNotContain(ports, p => p.GetProperty("port").GetInt32() == port);
                Assert.DoesNotContain(previews, p => p.GetProperty("port").GetInt32() == port);
            }
        }
        finally
        {
            await KillAsync(command);
        }
    }

    [Fact]
    public async Task Someone_elses_sandbox_has_no_ports_to_show()
    {
        using var response = await Http.PostAsJsonAsync("api/v1/keys", new { user = "port-stranger", name = "ports" });
        var key = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        using var stranger = world.Host.CreateLoopbackClient();
        stranger.BaseAddress = Http.BaseAddress;
        stranger.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);

        using var ports = await stranger.GetAsync($"api/v1/sandboxes/{Id}/ports");

        Assert.Equal(HttpStatusCode.NotFound, ports.StatusCode);
        Assert.Equal("application/problem+json", ports.Content.Headers.ContentType?.MediaType);
    }

    private async Task<string> StartAsync(string script)
    {
        using var response = await Http.PostAsJsonAsync($"api/v1/sandboxes/{Id}/commands", new { command = new[] { "node", "-e", script } });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private async Task KillAsync(string command)
    {
        using var response = await Http.PostAsync($"api/v1/sandboxes/{Id}/commands/{command}/kill", null);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<List<JsonElement>> PortsAsync() =>
        [.. (await Http.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{Id}/ports")).EnumerateArray()];

    /// <summary>Payloads of the sandbox's events of a type about one port.</summary>
    private async Task<List<JsonElement>> EventsAsync(string type, int port)
    {
        var page = await Http.GetFromJsonAsync<JsonElement>($"api/v1/events?after=0&sandbox_id={Id}&types={type}&limit=500");
        return [.. page.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("payload")).Where(p => p.GetProperty("port").GetInt32() == port)];
    }

    private async Task<List<int>> PortsWithAsync(string type, int[] ports)
    {
        List<int> found = [];
        foreach (var port in ports)
        {
            if ((await EventsAsync(type, port)).Count > 0)
            {
                found.Add(port);
            }
        }
        return found;
    }

    private async Task<JsonElement> WaitForEventAsync(string type, int port)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if ((await EventsAsync(type, port)) is [.., var last])
            {
                return last;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"No {type} for port {port}.");
    }

    private async Task<JsonElement> WaitForPreviewStatusAsync(string previewId, string status)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            last = await Http.GetFromJsonAsync<JsonElement>($"api/v1/preview/{previewId}");
            if (last.GetProperty("status").GetString() == status)
            {
                return last;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"Preview {previewId} not {status}; last: {last}");
    }
}
