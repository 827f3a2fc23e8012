using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using LivePreview.Events;
using LivePreview.Tests.Hosting;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Grants;

/// <summary>
/// Previews are private: the proxy serves one only with a grant cookie for that sandbox and port, the owner's (or an
/// admin's) key, or when it was made public — for pages and WebSocket upgrades alike. Through real Kestrel and a real
/// Vite dev server in a bwrap sandbox.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class PreviewGrantTests(GrantFixture fixture) : IClassFixture<GrantFixture>
{
    private LivePreviewHost Host => fixture.Host;

    [Fact]
    public async Task A_preview_without_a_grant_is_a_friendly_401_page_that_says_how_to_get_access()
    {
        using var response = await SendAsync(fixture.PreviewUrl);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("unauthorized", response.Headers.GetValues("X-LivePreview-Problem").Single());
        var page = await response.Content.ReadAsStringAsync();
        Assert.Contains("This preview is private", page);
        Assert.Contains("share link", page);
        Assert.DoesNotContain("<script", page, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_grant_url_is_exchanged_for_a_host_only_partitioned_cookie_and_a_redirect_to_the_clean_url()
    {
        var grant = await Host.CreateGrantAsync(fixture.PreviewId, client: fixture.Alice);
        var url = grant.GetProperty("url").GetString()!;
        Assert.StartsWith(fixture.PreviewUrl + "?livepreview_grant=lpg_", url);

        using var exchange = await SendAsync(url);
        Assert.Equal(HttpStatusCode.Redirect, exchange.StatusCode);
        Assert.Equal("/", exchange.Headers.Location!.OriginalString);
        Assert.Equal("no-referrer", exchange.Headers.GetValues("Referrer-Policy").Single());
        var setCookie = Assert.Single(exchange.Headers.GetValues("Set-Cookie"));
        var attributes = setCookie.Split(';').Skip(1).Select(a => a.Trim().ToLowerInvariant()).ToList();
        Assert.Contains("httponly", attributes);
        Assert.Contains("secure", attributes);
        Assert.Contains("samesite=none", attributes);
        Assert.Contains("partitioned", attributes);
        Assert.Contains("path=/", attributes);
        Assert.DoesNotContain(attributes, a => a.StartsWith("domain", StringComparison.Ordinal));

        using var page = await SendAsync(fixture.PreviewUrl, cookie: setCookie.Split(';')[0]);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("/@vite/client", await page.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_grant_for_5173_never_opens_3000_of_the_same_sandbox()
    {
        var url = (await Host.CreateGrantAsync(fixture.PreviewId, client: fixture.Alice)).GetProperty("url").GetString()!;
        var cookie = await Host.ExchangeGrantAsync(url);
        var token = url[(url.IndexOf('=') + 1)..];

        using var withCookie = await SendAsync(fixture.OtherPortUrl, cookie: cookie);
        using var withLink = await SendAsync($"{fixture.OtherPortUrl}?livepreview_grant={token}");
        using var asOwner = await SendAsync(fixture.OtherPortUrl, key: fixture.AliceKey);

        Assert.Equal(HttpStatusCode.Unauthorized, withCookie.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, withLink.StatusCode);
        Assert.False(withLink.Headers.Contains("Set-Cookie"));
        Assert.Equal(HttpStatusCode.Unauthorized, await UpgradeStatusAsync(fixture.OtherPortUrl, cookie));
        // The owner gets past the check: the port's own state (nothing listens on 3000, so it is starting).
        Assert.Equal(HttpStatusCode.ServiceUnavailable, asOwner.StatusCode);
    }

    [Fact]
    public async Task A_revoked_grant_is_refused_for_pages_links_and_new_websockets_and_the_list_never_shows_a_token()
    {
        var grant = await Host.CreateGrantAsync(fixture.PreviewId, client: fixture.Alice);
        var url = grant.GetProperty("url").GetString()!;
        var cookie = await Host.ExchangeGrantAsync(url);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(fixture.PreviewUrl, cookie: cookie)).StatusCode);
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await UpgradeStatusAsync(fixture.PreviewUrl, cookie));

        using var revoke = await fixture.Alice.DeleteAsync($"api/v1/preview/{fixture.PreviewId}/grants/{grant.GetProperty("id").GetString()}");
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(fixture.PreviewUrl, cookie: cookie)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(url)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await UpgradeStatusAsync(fixture.PreviewUrl, cookie));
        var list = await fixture.Alice.GetStringAsync($"api/v1/preview/{fixture.PreviewId}/grants");
        var listed = JsonDocument.Parse(list).RootElement.EnumerateArray().Single(g => g.GetProperty("id").GetString() == grant.GetProperty("id").GetString());
        Assert.False(listed.GetProperty("active").GetBoolean());
        Assert.NotEqual(JsonValueKind.Null, listed.GetProperty("revoked_at").ValueKind);
        Assert.DoesNotContain("lpg_", list, StringComparison.Ordinal);
        await ApiValidationTests.ProblemAsync(await fixture.Alice.DeleteAsync($"api/v1/preview/{fixture.PreviewId}/grants/grt_nosuchgrant"), 404);
    }

    [Fact]
    public async Task An_expired_grant_is_refused_for_pages_and_websockets()
    {
        var grant = await Host.CreateGrantAsync(fixture.PreviewId, expiresInSeconds: 2, client: fixture.Alice);
        var cookie = await Host.ExchangeGrantAsync(grant.GetProperty("url").GetString()!);
        var expiresAt = grant.GetProperty("expires_at").GetDateTimeOffset();

        while (DateTimeOffset.UtcNow <= expiresAt.AddMilliseconds(200))
        {
            await Task.Delay(200);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(fixture.PreviewUrl, cookie: cookie)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(grant.GetProperty("url").GetString()!)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await UpgradeStatusAsync(fixture.PreviewUrl, cookie));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_open_hmr_socket_ends_when_its_grant_is_revoked_or_expires(bool revoke)
    {
        // A share grant: nothing can take over from it (unlike a renewed grant of the same user, see below).
        var grant = await Host.CreateGrantAsync(fixture.PreviewId, share: true, expiresInSeconds: revoke ? 3600 : 3, client: fixture.Alice);
        var cookie = await Host.ExchangeGrantAsync(grant.GetProperty("url").GetString()!);
        using var socket = await OpenHmrSocketAsync(fixture.PreviewUrl, cookie);
        Assert.Equal(WebSocketState.Open, socket.State);
        var ended = ReceiveUntilEndAsync(socket);

        if (revoke)
        {
            (await fixture.Alice.DeleteAsync($"api/v1/preview/{fixture.PreviewId}/grants/{grant.GetProperty("id").GetString()}")).EnsureSuccessStatusCode();
        }

        Assert.True(await ended, "the socket should end, not stay open after its grant ended");
    }

    [Fact]
    public async Task An_open_hmr_socket_lives_on_when_its_users_renewed_grant_takes_over_and_keeps_receiving_updates()
    {
        // The admin's grants (Alice's are used by the other tests): a short one, then its renewal.
        var first = await Host.CreateGrantAsync(fixture.PreviewId, expiresInSeconds: 3);
        using var socket = await OpenHmrSocketAsync(fixture.PreviewUrl, await Host.ExchangeGrantAsync(first.GetProperty("url").GetString()!));
        await Host.CreateGrantAsync(fixture.PreviewId, expiresInSeconds: 600);
        var expiresAt = first.GetProperty("expires_at").GetDateTimeOffset();
        while (DateTimeOffset.UtcNow <= expiresAt.AddSeconds(1))
        {
            await Task.Delay(200);
        }

        // Vite sends updates only for modules in its graph: ask for the module once (as the admin).
        (await Host.Http.GetAsync(fixture.PreviewUrl + "src/App.tsx")).EnsureSuccessStatusCode();
        var source = await Host.Http.GetStringAsync($"api/v1/sandboxes/{fixture.SandboxId}/files/src/App.tsx");
        (await Host.Http.PutAsync($"api/v1/sandboxes/{fixture.SandboxId}/files/src/App.tsx", new StringContent(source + $"\n// touched {Guid.NewGuid():N}\n"))).EnsureSuccessStatusCode();

        Assert.True(await ReceiveUpdateAsync(socket), "the socket should still be open and get Vite's update");
    }

    [Fact]
    public async Task The_owners_key_and_an_admins_key_open_the_preview_and_another_users_key_does_not()
    {
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(fixture.PreviewUrl, key: fixture.AliceKey)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(fixture.PreviewUrl, key: Host.AdminKey)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(fixture.PreviewUrl, key: fixture.BobKey)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(fixture.PreviewUrl, key: "lpk_not_a_key")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await UpgradeStatusAsync(fixture.PreviewUrl, cookie: null, key: fixture.BobKey));
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await UpgradeStatusAsync(fixture.PreviewUrl, cookie: null, key: fixture.AliceKey));
    }

    [Fact]
    public async Task Another_user_can_neither_make_list_revoke_grants_nor_change_visibility_and_is_told_not_found()
    {
        var grantId = (await Host.CreateGrantAsync(fixture.PreviewId, client: fixture.Alice)).GetProperty("id").GetString();

        await ApiValidationTests.ProblemAsync(await fixture.Bob.PostAsJsonAsync($"api/v1/preview/{fixture.PreviewId}/grants", new { expires_in_seconds = 600 }), 404);
        await ApiValidationTests.ProblemAsync(await fixture.Bob.GetAsync($"api/v1/preview/{fixture.PreviewId}/grants"), 404);
        await ApiValidationTests.ProblemAsync(await fixture.Bob.DeleteAsync($"api/v1/preview/{fixture.PreviewId}/grants/{grantId}"), 404);
        await ApiValidationTests.ProblemAsync(await fixture.Bob.PatchAsJsonAsync($"api/v1/preview/{fixture.PreviewId}", new { visibility = "public" }), 404);
        await ApiValidationTests.ProblemAsync(await fixture.Bob.PostAsJsonAsync("api/v1/preview/pvnosuchprev/grants", new { }), 404);
        using var anonymous = Host.CreateLoopbackClient(useCookies: false);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync($"http://127.0.0.1:{Host.Port}/api/v1/preview/{fixture.PreviewId}/grants", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(fixture.PreviewUrl, key: fixture.AliceKey)).StatusCode);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(8 * 24 * 3600)]
    public async Task A_grant_outside_the_expiry_bounds_is_a_400_that_names_them(int seconds)
    {
        var problem = await ApiValidationTests.ProblemAsync(
            await fixture.Alice.PostAsJsonAsync($"api/v1/preview/{fixture.PreviewId}/grants", new { expires_in_seconds = seconds }), 400);
        Assert.Contains("between 1 and 604800", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_share_link_opens_the_preview_for_anyone_who_has_it()
    {
        var grant = await Host.CreateGrantAsync(fixture.PreviewId, share: true, client: fixture.Alice);
        Assert.True(grant.GetProperty("share").GetBoolean());

        var first = await Host.ExchangeGrantAsync(grant.GetProperty("url").GetString()!);
        var second = await Host.ExchangeGrantAsync(grant.GetProperty("url").GetString()!);

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(fixture.PreviewUrl, cookie: first)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(fixture.PreviewUrl, cookie: second)).StatusCode);
    }

    [Fact]
    public async Task A_public_preview_opens_for_anyone_until_it_is_made_private_again()
    {
        try
        {
            var made = await fixture.Alice.PatchAsJsonAsync($"api/v1/preview/{fixture.PreviewId}", new { visibility = "public" });
            Assert.Equal("public", (await made.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("visibility").GetString());
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(fixture.PreviewUrl)).StatusCode);
            Assert.Equal(HttpStatusCode.SwitchingProtocols, await UpgradeStatusAsync(fixture.PreviewUrl, cookie: null));
            // Public is per port: 3000 of the same sandbox stays private.
            Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(fixture.OtherPortUrl)).StatusCode);
        }
        finally
        {
            (await fixture.Alice.PatchAsJsonAsync($"api/v1/preview/{fixture.PreviewId}", new { visibility = "private" })).EnsureSuccessStatusCode();
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(fixture.PreviewUrl)).StatusCode);
        var problem = await ApiValidationTests.ProblemAsync(await fixture.Alice.PatchAsJsonAsync($"api/v1/preview/{fixture.PreviewId}", new { visibility = "everyone" }), 400);
        Assert.Contains("\"public\"", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Grants_made_and_revoked_are_events_without_the_token()
    {
        var grant = await Host.CreateGrantAsync(fixture.PreviewId, client: fixture.Alice);
        var grantId = grant.GetProperty("id").GetString()!;
        (await fixture.Alice.DeleteAsync($"api/v1/preview/{fixture.PreviewId}/grants/{grantId}")).EnsureSuccessStatusCode();

        var events = (await Host.Http.GetFromJsonAsync<JsonElement>("api/v1/events?after=0&limit=1000&entity_type=grant")).GetProperty("events");
        var mine = events.EnumerateArray().Where(e => e.GetProperty("entity_id").GetString() == grantId).ToList();

        Assert.Equal([EventTypes.GrantCreated, EventTypes.GrantRevoked], mine.Select(e => e.GetProperty("type").GetString()));
        Assert.All(mine, e => Assert.Equal(fixture.SandboxId, e.GetProperty("sandbox_id").GetString()));
        Assert.All(mine, e => Assert.Equal("alice", e.GetProperty("payload").GetProperty("user").GetString()));
        Assert.DoesNotContain("lpg_", events.ToString(), StringComparison.Ordinal);
    }

    private async Task<HttpResponseMessage> SendAsync(string url, string? cookie = null, string? key = null)
    {
        using var client = Host.CreateLoopbackClient(useCookies: false);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.ParseAdd("text/html");
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        var response = await client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private async Task<ClientWebSocket> OpenHmrSocketAsync(string previewUrl, string cookie)
    {
        var uri = new Uri(previewUrl);
        var socket = new ClientWebSocket();
        socket.Options.Proxy = null;
        socket.Options.AddSubProtocol("vite-hmr");
        socket.Options.SetRequestHeader("Host", uri.Authority);
        socket.Options.SetRequestHeader("Origin", uri.GetLeftPart(UriPartial.Authority));
        socket.Options.SetRequestHeader("Cookie", cookie);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{Host.Port}{uri.AbsolutePath}?token={await HmrTokenAsync(previewUrl)}"), timeout.Token);
        return socket;
    }

    /// <summary>True when an HMR "update" or "full-reload" message arrives; false when the socket ends first (or a minute passes).</summary>
    private static async Task<bool> ReceiveUpdateAsync(ClientWebSocket socket)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
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

    /// <summary>True once the server closed or dropped the socket; false if it was still open after a minute (a generous bound, not a measurement).</summary>
    private static async Task<bool> ReceiveUntilEndAsync(ClientWebSocket socket)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, bound.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return true;
                }
            }
        }
        catch (WebSocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Vite (6.0.9+) takes HMR sockets only with the token its client script carries; read as the admin.</summary>
    private async Task<string> HmrTokenAsync(string previewUrl)
    {
        using var client = Host.CreateLoopbackClient(useCookies: false);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Host.AdminKey);
        using var response = await client.GetAsync(previewUrl + "@vite/client");
        if (!response.IsSuccessStatusCode)
        {
            return "none";
        }
        var match = System.Text.RegularExpressions.Regex.Match(await response.Content.ReadAsStringAsync(), "wsToken = \"([^\"]+)\"");
        Assert.True(match.Success, "no wsToken in /@vite/client");
        return match.Groups[1].Value;
    }

    /// <summary>Vite's HMR handshake through the proxy: 101 when it upgraded, else the status the proxy answered.</summary>
    private async Task<HttpStatusCode> UpgradeStatusAsync(string previewUrl, string? cookie, string? key = null)
    {
        var uri = new Uri(previewUrl);
        using var socket = new ClientWebSocket();
        socket.Options.Proxy = null;
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.AddSubProtocol("vite-hmr");
        socket.Options.SetRequestHeader("Host", uri.Authority);
        socket.Options.SetRequestHeader("Origin", uri.GetLeftPart(UriPartial.Authority));
        if (cookie is not null)
        {
            socket.Options.SetRequestHeader("Cookie", cookie);
        }
        if (key is not null)
        {
            socket.Options.SetRequestHeader("Authorization", $"Bearer {key}");
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{Host.Port}{uri.AbsolutePath}?token={await HmrTokenAsync(previewUrl)}"), timeout.Token);
        }
        catch (WebSocketException)
        {
            return socket.HttpStatusCode;
        }
        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
        return socket.HttpStatusCode;
    }
}
