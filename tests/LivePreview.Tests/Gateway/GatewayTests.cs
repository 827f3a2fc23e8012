using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Events;
using LivePreview.Gateway;
using LivePreview.Sandboxes;
using LivePreview.Tests.Agents;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Gateway;

/// <summary>
/// The gateway from inside real sandboxes: reachable only on the sandbox's own loopback, only with a sandbox token,
/// the model routes forwarding with the real key while no key is in the sandbox; and the two servers serving
/// disjoint routes (the public port no gateway route, the gateway socket no API route).
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class GatewayTests : IAsyncLifetime
{
    private const string RealAnthropicKey = "sk-ant-real-key-never-in-a-sandbox-7f3a";
    private const string RealOpenAIKey = "sk-openai-real-key-never-in-a-sandbox-91c2";
    private readonly Timeline _timeline = new();
    private FakeModelServer _model = null!;
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync()
    {
        _model = await FakeModelServer.StartAsync(_timeline);
        _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>(GatewayKit.NoPreview)
        {
            ["LivePreview:Agents:Anthropic:ApiKey"] = RealAnthropicKey,
            ["LivePreview:Agents:Anthropic:BaseUrl"] = _model.BaseUrl,
            ["LivePreview:Agents:OpenAI:ApiKey"] = RealOpenAIKey,
            ["LivePreview:Agents:OpenAI:BaseUrl"] = _model.BaseUrl + "/v1",
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _model.DisposeAsync();
    }

    private const string Script = """
        const u = process.env.LIVEPREVIEW_MCP_URL, t = process.env.LIVEPREVIEW_SANDBOX_TOKEN;
        const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
        async function post(url, headers, body) {
          const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify(body) });
          return { status: r.status, text: await r.text() };
        }
        (async () => {
          const out = { url: u };
          out.none = (await post(u, {}, init)).status;
          out.wrong = (await post(u, { authorization: 'Bearer lpsb_aaaaaaaaaaaa_' + 'A'.repeat(43) }, init)).status;
          out.own = (await post(u, { authorization: 'Bearer ' + t }, init)).status;
          out.other = (await post(u, { authorization: 'Bearer ' + process.env.OTHER_TOKEN }, init)).status;
          const m = await post(process.env.ANTHROPIC_BASE_URL + '/v1/messages', { 'x-api-key': process.env.ANTHROPIC_API_KEY, 'anthropic-version': '2023-06-01' },
            { model: 'claude-test', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] });
          out.anthropic = m.status; out.anthropicText = m.text;
          const o = await post(process.env.OPENAI_BASE_URL + '/chat/completions', { authorization: 'Bearer ' + process.env.OPENAI_API_KEY },
            { model: 'qwen-test', stream: true, messages: [{ role: 'user', content: 'hi' }] });
          out.openai = o.status; out.openaiText = o.text;
          out.environ = require('fs').readFileSync('/proc/self/environ', 'utf8');
          console.log(JSON.stringify(out));
        })().catch(e => { console.log(JSON.stringify({ error: String(e) })); });
        """;

    [Fact]
    public async Task From_inside_a_sandbox_the_gateway_wants_a_token_forwards_models_with_the_real_key_and_no_key_is_in_the_sandbox()
    {
        var a = await GatewayKit.RunningSandboxAsync(_host);
        var b = await GatewayKit.RunningSandboxAsync(_host);
        var tokens = _host.Service<GatewayTokens>();
        _model.Then(AnthropicWire.Text("hello from the model")).Then(OpenAIWire.Text("hello too"));

        var result = await _host.Service<ISandboxProvider>().RunCommandAsync(a,
            new SandboxProcessSpec(["node", "-e", Script], new Dictionary<string, string> { ["OTHER_TOKEN"] = tokens.For(b) }),
            TimeSpan.FromMinutes(2), CancellationToken.None);
        var line = result.Output.Split('\n').Last(l => l.TrimStart().StartsWith('{'));
        var output = JsonDocument.Parse(line).RootElement;
        Assert.False(output.TryGetProperty("error", out var error), error.ToString());

        Assert.Equal("http://127.0.0.1:4319/mcp", output.GetProperty("url").GetString());
        Assert.Equal(401, output.GetProperty("none").GetInt32());
        Assert.Equal(401, output.GetProperty("wrong").GetInt32());
        Assert.Equal(200, output.GetProperty("own").GetInt32());
        // The token is the identity; the listener only gives reachability. Another sandbox's token (which this sandbox
        // could only have if it leaked) opens a session bound to that other sandbox, never to this one.
        Assert.Equal(200, output.GetProperty("other").GetInt32());

        Assert.Equal(200, output.GetProperty("anthropic").GetInt32());
        Assert.Contains("event: message_stop", output.GetProperty("anthropicText").GetString());
        Assert.Equal(200, output.GetProperty("openai").GetInt32());
        Assert.Contains("[DONE]", output.GetProperty("openaiText").GetString());

        var requests = _model.Requests;
        Assert.Equal(2, requests.Count);
        Assert.Equal("/v1/messages", requests[0].Path);
        Assert.Equal(RealAnthropicKey, requests[0].Headers["x-api-key"]);
        Assert.Equal("2023-06-01", requests[0].Headers["anthropic-version"]);
        Assert.Equal("/v1/chat/completions", requests[1].Path);
        Assert.Equal("Bearer " + RealOpenAIKey, requests[1].Headers["authorization"]);
        Assert.True(requests[1].Body.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        foreach (var request in requests)
        {
            Assert.DoesNotContain(request.Headers, h => h.Value.Contains(tokens.For(a), StringComparison.Ordinal));
        }

        var environ = output.GetProperty("environ").GetString()!;
        Assert.Contains("LIVEPREVIEW_SANDBOX_TOKEN=" + tokens.For(a), environ);
        Assert.Contains("ANTHROPIC_API_KEY=" + tokens.For(a), environ);
        Assert.DoesNotContain(RealAnthropicKey, environ);
        Assert.DoesNotContain(RealOpenAIKey, environ);
        var files = await _host.Service<ISandboxProvider>().RunCommandAsync(a,
            new SandboxProcessSpec(["sh", "-c", "grep -rlsF -e \"$0\" -e \"$1\" / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev; echo done", RealAnthropicKey, RealOpenAIKey]),
            TimeSpan.FromMinutes(3), CancellationToken.None);
        Assert.Equal("done", files.Output.Trim());

        var usage = await _host.Service<EventStore>().ReadAfterAsync(0, new EventFilter(SandboxId: a, Types: new HashSet<string> { EventTypes.ModelUsage }), 10, CancellationToken.None);
        Assert.Equal(2, usage.Count);
        Assert.Equal("anthropic", usage[0].Payload!.Value.GetProperty("provider").GetString());
        Assert.Equal("claude-test", usage[0].Payload!.Value.GetProperty("model").GetString());
        Assert.Equal(120, usage[0].Payload!.Value.GetProperty("input_tokens").GetInt64());
        Assert.Equal(42, usage[0].Payload!.Value.GetProperty("output_tokens").GetInt64());
        Assert.Equal("openai", usage[1].Payload!.Value.GetProperty("provider").GetString());
        Assert.Equal(80, usage[1].Payload!.Value.GetProperty("input_tokens").GetInt64());
        Assert.Equal(20, usage[1].Payload!.Value.GetProperty("output_tokens").GetInt64());

        // Deleted: the listener is closed and the token refused.
        Assert.True(_host.Service<GatewayListeners>().IsOpen(a));
        Assert.Equal(HttpStatusCode.NoContent, (await _host.Http.DeleteAsync($"api/v1/sandboxes/{a}")).StatusCode);
        Assert.False(_host.Service<GatewayListeners>().IsOpen(a));
        using var gateway = GatewayKit.SocketClient(_host, tokens.For(a));
        Assert.Equal(HttpStatusCode.Unauthorized, (await gateway.PostAsJsonAsync("anthropic/v1/messages", new { model = "x" })).StatusCode);
    }

    [Fact]
    public async Task The_public_port_serves_no_gateway_route_and_the_gateway_socket_no_api_route()
    {
        var id = await GatewayKit.RunningSandboxAsync(_host);
        var token = _host.Service<GatewayTokens>().For(id);
        foreach (var path in (string[])["mcp", "anthropic/v1/messages", "openai/v1/chat/completions"])
        {
            // Only the UI's page fallback (GET) knows these paths on the public port; nothing answers a POST.
            using var response = await _host.Http.PostAsJsonAsync(path, new { });
            Assert.Contains(response.StatusCode, (HttpStatusCode[])[HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed]);
            Assert.False(response.Headers.Contains("mcp-session-id"));
        }
        using var gateway = GatewayKit.SocketClient(_host, token);
        foreach (var path in (string[])["api/v1/sandboxes", $"api/v1/sandbox/{id}/questions", "metrics", "health"])
        {
            using var response = await gateway.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
        using (var anonymous = GatewayKit.SocketClient(_host))
        {
            using var response = await anonymous.GetAsync("api/v1/sandboxes");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Sandboxes need Linux.");
        }
        var mode = File.GetUnixFileMode(Path.Combine(_host.DataDirectory, "gateway.sock"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }

    [Fact]
    public async Task Without_a_provider_key_the_model_route_is_503_with_what_to_do()
    {
        await using var bare = await LivePreviewHost.StartAsync(GatewayKit.NoPreview);
        var id = await GatewayKit.RunningSandboxAsync(bare);
        using var gateway = GatewayKit.SocketClient(bare, bare.Service<GatewayTokens>().For(id));
        using var response = await gateway.PostAsJsonAsync("anthropic/v1/messages", new { model = "x" });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("LivePreview:Agents:Anthropic:ApiKey", await response.Content.ReadAsStringAsync());
    }
}
