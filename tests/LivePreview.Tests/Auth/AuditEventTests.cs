using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bunit;
using LivePreview.Auth;
using LivePreview.Events;
using LivePreview.Tests.Events;
using LivePreview.Tests.RateLimits;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Auth;

/// <summary>Security events an admin streams: keys made and revoked, refusals (coalesced), never a secret in a payload.</summary>
[Collection(ServiceCollection.Name)]
public sealed class AuditEventTests : IAsyncLifetime
{
    private const string AuditTypes = "types=KEY_CREATED,KEY_REVOKED,RATE_LIMITED,SIGN_IN_REFUSED,ORIGIN_REFUSED";
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync() => _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
    {
        ["LivePreview:RateLimits:Prompts:PermitLimit"] = "1",
        ["LivePreview:RateLimits:Prompts:Window"] = "01:00:00",
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task An_admin_sees_a_key_made_and_revoked_on_the_event_socket_and_in_the_event_list_without_the_key()
    {
        await using var socket = await EventStreamClient.ConnectAsync(_host, AuditTypes);
        var (id, key) = await RateLimitTesting.CreateKeyAsync(_host, "alice");
        using (var revoke = await _host.Http.DeleteAsync($"api/v1/keys/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }
        using (var again = await _host.Http.DeleteAsync($"api/v1/keys/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        }

        var live = await socket.ReceiveEventsAsync(2);
        Assert.Equal([EventTypes.KeyCreated, EventTypes.KeyRevoked], live.Select(e => e.GetProperty("type").GetString()));
        foreach (var e in live)
        {
            Assert.Equal((EntityTypes.Key, id), (e.GetProperty("entity_type").GetString(), e.GetProperty("entity_id").GetString()));
            Assert.Equal(JsonValueKind.Null, e.GetProperty("sandbox_id").ValueKind);
            var payload = e.GetProperty("payload");
            Assert.Equal((id, "alice", "tests", "admin"), (payload.GetProperty("key_id").GetString(), payload.GetProperty("user").GetString(),
                payload.GetProperty("name").GetString(), payload.GetProperty("by").GetString()));
        }
        var stored = await _host.Http.GetStringAsync($"api/v1/events?{AuditTypes}");
        using var page = JsonDocument.Parse(stored);
        // Revoking a revoked key changes nothing, so it is not a second event.
        Assert.Equal(2, page.RootElement.GetProperty("events").GetArrayLength());
        AssertNoSecret(stored, key);
        AssertNoSecret(string.Join("\n", live.Select(e => e.GetRawText())), key);
    }

    [Fact]
    public async Task Rate_limited_requests_are_one_RATE_LIMITED_per_user_and_limit_in_a_window()
    {
        var (_, aliceKey) = await RateLimitTesting.CreateKeyAsync(_host, "alice");
        using var alice = AuthClients.WithKey(_host, aliceKey);
        using var bob = await RateLimitTesting.ClientForAsync(_host, "bob");
        await using var socket = await EventStreamClient.ConnectAsync(_host, "types=RATE_LIMITED");

        var statuses = new List<HttpStatusCode>();
        foreach (var client in new[] { alice, alice, alice, alice, bob, bob })
        {
            using var response = await client.PostAsJsonAsync("api/v1/prototype/session/nosuchsession/prompt", new { prompt = "hi" });
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.NotFound, .. Enumerable.Repeat(HttpStatusCode.TooManyRequests, 3), HttpStatusCode.NotFound, HttpStatusCode.TooManyRequests], statuses);
        var live = await socket.ReceiveEventsAsync(2);
        Assert.Equal(["alice", "bob"], live.Select(e => e.GetProperty("entity_id").GetString()));
        var payload = live[0].GetProperty("payload");
        Assert.Equal(("alice", "Prompts", "LivePreview:RateLimits:Prompts", "POST", "/api/v1/prototype/session/nosuchsession/prompt"),
            (payload.GetProperty("user").GetString(), payload.GetProperty("limit").GetString(), payload.GetProperty("setting").GetString(),
             payload.GetProperty("method").GetString(), payload.GetProperty("path").GetString()));
        var stored = await _host.Http.GetStringAsync("api/v1/events?types=RATE_LIMITED");
        using var page = JsonDocument.Parse(stored);
        Assert.Equal(2, page.RootElement.GetProperty("events").GetArrayLength());
        AssertNoSecret(stored, aliceKey);
    }

    [Fact]
    public async Task A_sign_in_with_a_revoked_key_is_SIGN_IN_REFUSED_naming_the_user_and_a_flood_of_bad_keys_is_one_event()
    {
        var (id, key) = await RateLimitTesting.CreateKeyAsync(_host, "alice");
        using (var revoke = await _host.Http.DeleteAsync($"api/v1/keys/{id}"))
        {
            revoke.EnsureSuccessStatusCode();
        }
        using var browser = AuthClients.Anonymous(_host);
        browser.DefaultRequestHeaders.Add("Origin", AuthClients.OwnOrigin(_host));

        var statuses = new List<HttpStatusCode>();
        foreach (var attempt in new[] { key, "lpk_guess1", "lpk_guess2", "lpk_guess3" })
        {
            using var response = await browser.PostAsync("login", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = attempt }));
            statuses.Add(response.StatusCode);
        }

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        var stored = await _host.Http.GetStringAsync("api/v1/events?types=SIGN_IN_REFUSED");
        using var page = JsonDocument.Parse(stored);
        var refused = Assert.Single(page.RootElement.GetProperty("events").EnumerateArray());
        var payload = refused.GetProperty("payload");
        Assert.Equal(("revoked API key", "alice", id), (payload.GetProperty("reason").GetString(), payload.GetProperty("user").GetString(), payload.GetProperty("key_id").GetString()));
        AssertNoSecret(stored, key);
        Assert.DoesNotContain("lpk_guess", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_login_link_used_twice_is_SIGN_IN_REFUSED_the_second_time()
    {
        var token = _host.Service<LoginLinks>().Issue();
        using var browser = AuthClients.Anonymous(_host);

        using var first = await browser.GetAsync($"login?token={token}");
        using var second = await browser.GetAsync($"login?token={token}");

        Assert.Equal((HttpStatusCode.Redirect, HttpStatusCode.Unauthorized), (first.StatusCode, second.StatusCode));
        var stored = await _host.Http.GetStringAsync("api/v1/events?types=SIGN_IN_REFUSED");
        using var page = JsonDocument.Parse(stored);
        var payload = Assert.Single(page.RootElement.GetProperty("events").EnumerateArray()).GetProperty("payload");
        Assert.Equal("login link used already, expired or unknown", payload.GetProperty("reason").GetString());
        Assert.DoesNotContain(token, stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_WebSocket_with_the_dashboard_cookie_from_a_preview_origin_is_ORIGIN_REFUSED()
    {
        var cookie = await AuthClients.SignInWithLoginLinkAsync(_host);

        var status = await AuthClients.EventSocketStatusAsync(_host, cookie: cookie, origin: AuthClients.PreviewOrigin(_host));

        Assert.Equal(HttpStatusCode.Forbidden, status);
        var events = await _host.Http.GetFromJsonAsync<JsonElement>("api/v1/events?types=ORIGIN_REFUSED");
        var payload = Assert.Single(events.GetProperty("events").EnumerateArray()).GetProperty("payload");
        Assert.Equal(("admin", AuthClients.PreviewOrigin(_host), "/api/v1/events/ws", true),
            (payload.GetProperty("user").GetString(), payload.GetProperty("origin").GetString(), payload.GetProperty("path").GetString(), payload.GetProperty("websocket").GetBoolean()));
        Assert.DoesNotContain(cookie.Split('=', 2)[1], events.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_made_and_revoked_on_the_keys_page_are_audited_as_the_signed_in_admin()
    {
        var admin = (await _host.Service<ApiKeys>().GetAsync(ApiKeys.BootstrapId, CancellationToken.None))!;
        await using var ui = LivePreview.Tests.RateLimits.DashboardRateLimitTests.NewUi(_host, AuthSchemes.Principal(admin, AuthSchemes.Cookie));

        var page = ui.Render<LivePreview.Ui.Keys.KeysPage>();
        page.WaitForAssertion(() => page.Find("[data-testid=key-user]"));
        page.Find("[data-testid=key-user]").Input("frank");
        page.Find("[data-testid=key-name]").Input("laptop");
        page.Find("[data-testid=key-create]").Click();
        page.WaitForAssertion(() => page.Find("[data-testid=key-secret]"));
        var key = page.Find("[data-testid=key-secret]").TextContent.Trim();
        var id = (await _host.Service<ApiKeys>().FindAnyAsync(key, CancellationToken.None))!.Id;
        // The list shows the new key after the secret; wait for its row rather than race the render.
        page.WaitForAssertion(() => page.Find($"[data-testid=key-revoke-{id}]"));
        page.Find($"[data-testid=key-revoke-{id}]").Click();
        page.WaitForAssertion(() => Assert.Empty(page.FindAll($"[data-testid=key-revoke-{id}]")));

        var stored = await _host.Http.GetStringAsync("api/v1/events?types=KEY_CREATED,KEY_REVOKED");
        using var events = JsonDocument.Parse(stored);
        Assert.Equal([(EventTypes.KeyCreated, id, "frank", "admin"), (EventTypes.KeyRevoked, id, "frank", "admin")],
            events.RootElement.GetProperty("events").EnumerateArray().Select(e => (e.GetProperty("type").GetString(), e.GetProperty("entity_id").GetString(),
                e.GetProperty("payload").GetProperty("user").GetString(), e.GetProperty("payload").GetProperty("by").GetString())));
        AssertNoSecret(stored, key);
    }

    private static void AssertNoSecret(string text, string key)
    {
        Assert.DoesNotContain(key, text, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKeys.Hash(key), text, StringComparison.OrdinalIgnoreCase);
    }
}
