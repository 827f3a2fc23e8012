using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Gateway;
using LivePreview.Tests.Agents;
using LivePreview.Tests.Auth;
using LivePreview.Tests.Gateway;
using LivePreview.Tests.RateLimits;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Usage;

/// <summary>
/// GET /api/v1/usage over what the gateway metered: real sandboxes of two users, their model calls made on the
/// gateway's socket with each sandbox's own token (as the sandbox's relay makes them), the fake model answering.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class UsageApiTests : IAsyncLifetime
{
    private readonly Timeline _timeline = new();
    private FakeModelServer _model = null!;
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync()
    {
        _model = await FakeModelServer.StartAsync(_timeline);
        _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>(GatewayKit.NoPreview)
        {
            ["LivePreview:Agents:Anthropic:ApiKey"] = "sk-ant-usage-test",
            ["LivePreview:Agents:Anthropic:BaseUrl"] = _model.BaseUrl,
            ["LivePreview:Agents:OpenAI:ApiKey"] = "sk-openai-usage-test",
            ["LivePreview:Agents:OpenAI:BaseUrl"] = _model.BaseUrl + "/v1",
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _model.DisposeAsync();
    }

    private async Task CallAnthropicAsync(string sandboxId)
    {
        _model.Then(AnthropicWire.Text("hi"));
        using var gateway = GatewayKit.SocketClient(_host, _host.Service<GatewayTokens>().For(sandboxId));
        using var response = await gateway.PostAsJsonAsync("anthropic/v1/messages",
            new { model = "claude-test", max_tokens = 10, stream = true, messages = new[] { new { role = "user", content = "hi" } } });
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsStringAsync();
    }

    private async Task CallOpenAIAsync(string sandboxId)
    {
        _model.Then(OpenAIWire.Text("hi"));
        using var gateway = GatewayKit.SocketClient(_host, _host.Service<GatewayTokens>().For(sandboxId));
        using var response = await gateway.PostAsJsonAsync("openai/v1/chat/completions",
            new { model = "qwen-test", stream = true, messages = new[] { new { role = "user", content = "hi" } } });
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsStringAsync();
    }

    private static void AssertTotals(JsonElement totals, long input, long output, long requests)
    {
        Assert.Equal(input, totals.GetProperty("input_tokens").GetInt64());
        Assert.Equal(output, totals.GetProperty("output_tokens").GetInt64());
        Assert.Equal(requests, totals.GetProperty("requests").GetInt64());
    }

    [Fact]
    public async Task Each_user_sees_their_own_usage_per_sandbox_and_an_admin_sees_everyones()
    {
        using var alice = await RateLimitTesting.ClientForAsync(_host, "alice");
        using var bob = await RateLimitTesting.ClientForAsync(_host, "bob");
        var a1 = await GatewayKit.RunningSandboxAsync(_host, alice);
        var a2 = await GatewayKit.RunningSandboxAsync(_host, alice);
        var b1 = await GatewayKit.RunningSandboxAsync(_host, bob);
        var before = DateTimeOffset.UtcNow;
        await CallAnthropicAsync(a1);
        await CallAnthropicAsync(a1);
        await CallOpenAIAsync(a2);
        await CallOpenAIAsync(b1);

        var mine = await alice.GetFromJsonAsync<JsonElement>("api/v1/usage");
        Assert.Equal("alice", mine.GetProperty("user").GetString());
        AssertTotals(mine.GetProperty("total"), 2 * 120 + 80, 2 * 42 + 20, 3);
        var sandboxes = mine.GetProperty("sandboxes").EnumerateArray().ToDictionary(s => s.GetProperty("sandbox_id").GetString()!);
        Assert.Equal(new[] { a1, a2 }.Order(StringComparer.Ordinal), sandboxes.Keys.Order(StringComparer.Ordinal));
        AssertTotals(sandboxes[a1], 240, 84, 2);
        AssertTotals(sandboxes[a2], 80, 20, 1);
        Assert.InRange(sandboxes[a1].GetProperty("first_at").GetDateTimeOffset(), before.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.True(sandboxes[a1].GetProperty("last_at").GetDateTimeOffset() >= sandboxes[a1].GetProperty("first_at").GetDateTimeOffset());
        var users = mine.GetProperty("users");
        Assert.Equal("alice", Assert.Single(users.EnumerateArray()).GetProperty("user").GetString());

        // Another user's sandbox filtered by id is simply nothing of hers; another user's usage is an admin's to read.
        var notHers = await alice.GetFromJsonAsync<JsonElement>($"api/v1/usage?sandbox_id={b1}");
        AssertTotals(notHers.GetProperty("total"), 0, 0, 0);
        Assert.Empty(notHers.GetProperty("sandboxes").EnumerateArray());
        using var peek = await alice.GetAsync("api/v1/usage?user=bob");
        Assert.Equal(HttpStatusCode.Forbidden, peek.StatusCode);
        Assert.Contains("leave out ?user=", (await peek.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());

        var everyone = await _host.Http.GetFromJsonAsync<JsonElement>("api/v1/usage");
        Assert.Equal(JsonValueKind.Null, everyone.GetProperty("user").ValueKind);
        AssertTotals(everyone.GetProperty("total"), 400, 124, 4);
        var perUser = everyone.GetProperty("users").EnumerateArray().ToDictionary(u => u.GetProperty("user").GetString()!);
        AssertTotals(perUser["alice"], 320, 104, 3);
        AssertTotals(perUser["bob"], 80, 20, 1);
        var bobs = await _host.Http.GetFromJsonAsync<JsonElement>("api/v1/usage?user=bob");
        AssertTotals(bobs.GetProperty("total"), 80, 20, 1);
        Assert.Equal(b1, Assert.Single(bobs.GetProperty("sandboxes").EnumerateArray()).GetProperty("sandbox_id").GetString());
        var oneSandbox = await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/usage?sandbox_id={a1}");
        AssertTotals(oneSandbox.GetProperty("total"), 240, 84, 2);
    }

    [Fact]
    public async Task Since_narrows_the_sum_a_bad_since_is_400_and_anonymous_callers_are_401()
    {
        var id = await GatewayKit.RunningSandboxAsync(_host);
        await CallAnthropicAsync(id);

        var all = await _host.Http.GetFromJsonAsync<JsonElement>("api/v1/usage?since=2000-01-01T00:00:00Z");
        var future = await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/usage?since={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(5).ToString("O"))}");
        using var bad = await _host.Http.GetAsync("api/v1/usage?since=yesterday-ish");
        using var anonymous = await AuthClients.Anonymous(_host).GetAsync("api/v1/usage");

        AssertTotals(all.GetProperty("total"), 120, 42, 1);
        AssertTotals(future.GetProperty("total"), 0, 0, 0);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
        Assert.Contains("ISO 8601", (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }
}
