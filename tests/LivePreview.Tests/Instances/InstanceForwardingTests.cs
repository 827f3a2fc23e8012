using Microsoft.AspNetCore.Http;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Instances;
using LivePreview.Tests.Events;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Instances;

/// <summary>
/// Two instances sharing one PostgreSQL database and one real Redis, with a shared instance secret: both register and beat; a
/// sandbox runs on one of them, and the other serves its file writes, its preview (the Host header travels) and its
/// status by forwarding them to it, while the events it publishes reach a WebSocket client on the other one; a request
/// that poses as forwarded without the right signature is refused; a new sandbox goes where placement says.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class InstanceForwardingTests : IAsyncLifetime
{
    private static readonly string SharedAdminKey = InstanceSettings.NewAdminKey("instances");
    private static readonly string Secret = InstanceSettings.NewSecret();
    private RedisServer _redis = null!;
    private LivePreviewHost _a = null!;
    private LivePreviewHost _b = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        var database = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();
        _a = await LivePreviewHost.StartAsync(Settings("lp-a", database));
        _b = await LivePreviewHost.StartAsync(Settings("lp-b", database));
    }

    public async Task DisposeAsync()
    {
        await _b.DisposeAsync();
        await _a.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task A_sandbox_on_one_instance_is_written_previewed_and_followed_through_the_other_and_a_forged_forward_is_refused()
    {
        await WaitForLiveInstancesAsync(_a, 2);
        await WaitForLiveInstancesAsync(_b, 2);

        // Made through A: placement may put it on either; "owner" runs it, "other" only forwards.
        var id = (await _a.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        var ownerId = await _a.Service<InstanceDirectory>().InstanceOfAsync(id, CancellationToken.None);
        var (owner, other) = ownerId == "lp-a" ? (_a, _b) : (_b, _a);
        Assert.True(ownerId is "lp-a" or "lp-b", $"instance of {id}: {ownerId}");
        await owner.WaitForPreviewAsync(id);
        // The other instance has no preview of its own for it: its answer came from the owner.
        var status = await other.WaitForPreviewAsync(id);
        Assert.Equal("ready", status.GetProperty("status").GetString());

        // A file written through the other instance lands in the sandbox; its FILE_CHANGED (published by the owner)
        // reaches a WebSocket client on the other instance through Redis.
        var last = (await other.Http.GetFromJsonAsync<JsonElement>($"api/v1/events?after=0&sandbox_id={id}&limit=1000")).GetProperty("events").EnumerateArray()
            .Select(e => e.GetProperty("sequence").GetInt64()).DefaultIfEmpty(0).Max();
        await using var stream = await EventStreamClient.ConnectAsync(other, $"after={last}&sandbox_id={id}&types=FILE_CHANGED");
        const string Marker = "Served through the other instance";
        var app = await other.Http.GetStringAsync($"api/v1/sandboxes/{id}/files/src/App.tsx");
        using (var put = await other.Http.PutAsync($"api/v1/sandboxes/{id}/files/src/App.tsx",
            new StringContent(app.Replace("Hello from", Marker + " — hello from", StringComparison.Ordinal))))
        {
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }
        var changed = await stream.ReceiveEventAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("FILE_CHANGED", changed.GetProperty("type").GetString());
        Assert.Contains(Marker, await owner.Http.GetStringAsync($"api/v1/sandboxes/{id}/files/src/App.tsx"), StringComparison.Ordinal);

        // The preview host through the other instance: the owner's dev server answers (the module carries the edit).
        var module = await other.Http.GetStringAsync($"http://5173-{id}.preview.localhost:{other.Port}/src/App.tsx");
        Assert.Contains(Marker, module, StringComparison.Ordinal);

        // POST /api/v1/preview names its sandbox in the body: through the other instance it reaches the owner, which
        // answers with the preview it runs (a local answer would start a dev server of its own, which has no sandbox).
        var owned = await owner.WaitForPreviewAsync(id);
        using (var ensured = await other.Http.PostAsJsonAsync("api/v1/preview", new { port = 5173, sandbox_id = id }))
        {
            var body = await ensured.Content.ReadAsStringAsync();
            Assert.True(ensured.IsSuccessStatusCode, body);
            var preview = JsonDocument.Parse(body).RootElement;
            Assert.Equal(owned.GetProperty("id").GetString(), preview.GetProperty("id").GetString());
            Assert.Equal("ready", preview.GetProperty("status").GetString());
        }
        Assert.Equal("ready", (await owner.WaitForPreviewAsync(id)).GetProperty("status").GetString());

        // The dashboard page of the sandbox served by the other instance says where it runs (its actions would not reach
        // it); the owner's page says nothing of the kind.
        foreach (var (host, elsewhere) in new[] { (other, true), (owner, false) })
        {
            using var browser = Auth.AuthClients.Anonymous(host);
            browser.DefaultRequestHeaders.Add("Cookie", await Auth.AuthClients.SignInWithLoginLinkAsync(host));
            var page = await browser.GetStringAsync($"sandboxes/{id}");
            Assert.Equal(elsewhere, page.Contains($"data-instance=\"{ownerId}\"", StringComparison.Ordinal));
            Assert.Equal(elsewhere, page.Contains($"This sandbox runs on instance {ownerId}", StringComparison.Ordinal));
        }

        // Forged: the headers of a forwarded request without the secret are refused, and nothing is served for them.
        using var forged = new HttpRequestMessage(HttpMethod.Get, $"api/v1/sandboxes/{id}");
        forged.Headers.Add(ForwardSignature.InstanceHeader, "lp-b");
        forged.Headers.Add(ForwardSignature.TimeHeader, DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        forged.Headers.Add(ForwardSignature.ClientHeader, "127.0.0.1");
        forged.Headers.Add(ForwardSignature.SignatureHeader, "not-the-signature");
        using var refused = await owner.Http.SendAsync(forged);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("Not a forwarded request", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());

        // An anonymous request through the other instance is refused as on the owner.
        using var anonymous = other.CreateLoopbackClient();
        using var strangers = await anonymous.GetAsync($"http://127.0.0.1:{other.Port}/api/v1/sandboxes/{id}");
        Assert.Equal(HttpStatusCode.Unauthorized, strangers.StatusCode);

        await DashboardActionsReachTheOwnerAsJustThatUserAsync(id, owner, other);

        // Deleted through the other instance: gone on the owner (its processes too).
        Assert.Equal(HttpStatusCode.NoContent, (await other.Http.DeleteAsync($"api/v1/sandboxes/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.Http.GetAsync($"api/v1/sandboxes/{id}")).StatusCode);
        Assert.DoesNotContain($"lp-{id}", await Sandboxes.SandboxLifecycleTests.RunAsync("ip", "netns", "list"));
    }

    /// <summary>
    /// The dashboard on the other instance acts through <see cref="InstanceClient"/>: a stop and a start reach the owner's
    /// sandbox for the signed-in user; a user who does not own it gets the owner's 404, one whose key was revoked its 401;
    /// an acting user swapped under a valid signature, or sent by a client, is refused.
    /// </summary>
    private static async Task DashboardActionsReachTheOwnerAsJustThatUserAsync(string id, LivePreviewHost owner, LivePreviewHost other)
    {
        var instances = other.Service<InstanceClient>();
        var keys = other.Service<LivePreview.Auth.ApiKeys>();
        var admin = LivePreview.Auth.AuthSchemes.Principal((await keys.FindActiveAsync(SharedAdminKey, CancellationToken.None))!, LivePreview.Auth.AuthSchemes.Cookie);
        Assert.Equal(await owner.Service<InstanceDirectory>().InstanceOfAsync(id, CancellationToken.None), (await instances.OwnerAsync(id, CancellationToken.None))?.Id);
        Assert.Null(await owner.Service<InstanceClient>().OwnerAsync(id, CancellationToken.None));
        Task Here() => throw new InvalidOperationException("acted on the instance that does not run the sandbox");

        await instances.RunAsync(id, admin, Here, HttpMethod.Post, new PathString($"/api/v1/sandboxes/{id}/stop"));
        await WaitForStatusAsync(owner, id, "stopped");
        await instances.RunAsync(id, admin, Here, HttpMethod.Post, new PathString($"/api/v1/sandboxes/{id}/start"));
        await WaitForStatusAsync(owner, id, "running");
        var listing = await instances.RunAsync<LivePreview.Workspaces.DirectoryListingResponse>(id, admin, () => throw new InvalidOperationException("listed here"),
            HttpMethod.Get, new PathString($"/api/v1/sandboxes/{id}/files/src"));
        Assert.Contains(listing.Entries, e => e.Path == "src/App.tsx");

        // Bob has a key of his own but not this sandbox: the owner answers him as it would his own request.
        using var made = await owner.Http.PostAsJsonAsync("api/v1/keys", new { user = "bob-" + Guid.NewGuid().ToString("N")[..6], name = "instances" });
        var bobKey = await made.Content.ReadFromJsonAsync<JsonElement>();
        var bob = LivePreview.Auth.AuthSchemes.Principal((await keys.FindActiveAsync(bobKey.GetProperty("key").GetString()!, CancellationToken.None))!, LivePreview.Auth.AuthSchemes.Cookie);
        var stranger = await Assert.ThrowsAsync<LivePreview.Hosting.ApiProblemException>(() =>
            instances.RunAsync(id, bob, Here, HttpMethod.Post, new PathString($"/api/v1/sandboxes/{id}/stop")));
        Assert.Equal(404, stranger.Status);

        // Bob's acting user swapped for the admin's under the signature made for Bob: refused, nothing stopped.
        var path = $"/api/v1/sandboxes/{id}/stop";
        using var swapped = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{owner.Port}{path}");
        foreach (var (name, value) in other.Service<ForwardSignature>().Sign("lp-x", "POST", $"127.0.0.1:{owner.Port}", path, "", LivePreview.Auth.ActingUser.Encode(bob)))
        {
            swapped.Headers.TryAddWithoutValidation(name, name == ForwardSignature.ActingUserHeader ? LivePreview.Auth.ActingUser.Encode(admin) : value);
        }
        using var anonymous = owner.CreateLoopbackClient();
        using (var refused = await anonymous.SendAsync(swapped))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        // A client's own acting-user header, with its real key beside it: refused too (only instances may say it).
        using var posing = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{owner.Port}{path}");
        posing.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bobKey.GetProperty("key").GetString());
        posing.Headers.Add(ForwardSignature.ActingUserHeader, LivePreview.Auth.ActingUser.Encode(admin));
        using (var refused = await anonymous.SendAsync(posing))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        Assert.Equal("running", (await owner.Http.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{id}")).GetProperty("status").GetString());

        // Bob's key revoked: his sign-in ends on the owner too.
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Http.DeleteAsync($"api/v1/keys/{bobKey.GetProperty("id").GetString()}")).StatusCode);
        var revoked = await Assert.ThrowsAsync<LivePreview.Hosting.ApiProblemException>(() =>
            instances.RunAsync(id, bob, Here, HttpMethod.Post, new PathString($"/api/v1/sandboxes/{id}/stop")));
        Assert.Equal(401, revoked.Status);
    }

    [Fact]
    public void An_acting_user_round_trips_only_its_sign_in_claims_and_nothing_else_decodes()
    {
        var key = new LivePreview.Auth.ApiKeyRecord { Id = "key1", User = "alice", IsAdmin = true, Name = "ci", Hash = "h" };
        var principal = LivePreview.Auth.AuthSchemes.Principal(key, LivePreview.Auth.AuthSchemes.Cookie);
        ((System.Security.Claims.ClaimsIdentity)principal.Identity!).AddClaim(new System.Security.Claims.Claim("extra", "dropped"));
        var decoded = LivePreview.Auth.ActingUser.TryDecode(LivePreview.Auth.ActingUser.Encode(principal), LivePreview.Auth.AuthSchemes.Instance)!;
        Assert.Equal("alice", decoded.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value);
        Assert.True(decoded.IsInRole(LivePreview.Auth.AuthSchemes.AdminRole));
        Assert.Equal("key1", decoded.FindFirst(LivePreview.Auth.AuthSchemes.KeyIdClaim)?.Value);
        Assert.Null(decoded.FindFirst("extra"));
        Assert.Equal(LivePreview.Auth.AuthSchemes.Instance, decoded.Identity!.AuthenticationType);

        Assert.Null(LivePreview.Auth.ActingUser.TryDecode("", "x"));
        Assert.Null(LivePreview.Auth.ActingUser.TryDecode("not base64url!", "x"));
        Assert.Null(LivePreview.Auth.ActingUser.TryDecode(System.Buffers.Text.Base64Url.EncodeToString("[1]"u8), "x"));
        // Neither a key nor an OIDC sign-in, or both: not a sign-in this service made.
        Assert.Null(LivePreview.Auth.ActingUser.TryDecode(System.Buffers.Text.Base64Url.EncodeToString("""{"user":"a","admin":true}"""u8), "x"));
        Assert.Null(LivePreview.Auth.ActingUser.TryDecode(System.Buffers.Text.Base64Url.EncodeToString("""{"user":"a","key":"k","oidc_signed_in":"1"}"""u8), "x"));
        Assert.Null(LivePreview.Auth.ActingUser.TryDecode(new string('A', LivePreview.Auth.ActingUser.MaxEncodedLength + 1), "x"));
    }

    [Fact]
    public void Placement_takes_the_instance_with_the_most_free_slots_then_the_most_memory()
    {
        var policy = new MostFreeCapacityPlacement();
        InstanceRecord Instance(string id, int count, int max, long memory) =>
            new() { Id = id, InternalUrl = "http://127.0.0.1:1", SandboxCount = count, MaxSandboxes = max, FreeMemoryMb = memory };

        Assert.Equal("b", policy.Choose([Instance("a", 5, 10, 9000), Instance("b", 2, 10, 1000)])!.Id);
        Assert.Equal("a", policy.Choose([Instance("a", 2, 10, 9000), Instance("b", 2, 10, 1000)])!.Id);
        Assert.Equal("a", policy.Choose([Instance("a", 9, 10, 10), Instance("b", 10, 10, 9000)])!.Id);
        Assert.Null(policy.Choose([Instance("a", 10, 10, 9000)]));
        Assert.Equal("a", policy.Choose([Instance("b", 1, 10, 500), Instance("a", 1, 10, 500)])!.Id);
    }

    [Fact]
    public void The_sandbox_of_a_preview_body_is_its_top_level_sandbox_id_as_the_endpoint_binds_it()
    {
        static string? Of(string json) => InstanceDirectory.SandboxIdOf(System.Text.Encoding.UTF8.GetBytes(json));

        Assert.Equal("abcdefghijkl", Of("""{"sandbox_id":"abcdefghijkl","port":5173}"""));
        Assert.Equal("abcdefghijkl", Of("""{"port":5173,"nested":{"sandbox_id":"zzzzzzzzzzzz"},"Sandbox_Id":"abcdefghijkl"}"""));
        Assert.Equal("second", Of("""{"sandbox_id":"first","sandbox_id":"second"}"""));
        Assert.Null(Of("""{"sandbox_id":42}"""));
        Assert.Null(Of("""["sandbox_id","abcdefghijkl"]"""));
        Assert.Null(Of("""{"sandbox_id":"abcdef"""));
        Assert.Null(Of(""));
    }

    private static async Task WaitForStatusAsync(LivePreviewHost host, string id, string status)
    {
        for (var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60); ; await Task.Delay(200))
        {
            var now = (await host.Http.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{id}")).GetProperty("status").GetString();
            if (now == status)
            {
                return;
            }
            Assert.True(DateTime.UtcNow < deadline, $"sandbox {id} is {now}, not {status}");
        }
    }

    private static async Task WaitForLiveInstancesAsync(LivePreviewHost host, int count)
    {
        var registry = host.Service<InstanceRegistry>();
        for (var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60); ; await Task.Delay(200))
        {
            var live = await registry.LiveAsync(CancellationToken.None);
            if (live.Count >= count)
            {
                return;
            }
            Assert.True(DateTime.UtcNow < deadline, $"only {live.Count} live instances: {string.Join(", ", live.Select(i => i.Id))}");
        }
    }

    private Dictionary<string, string?> Settings(string id, string database) =>
        InstanceSettings.For(id, second: id == "lp-b", "lpinst_" + id.Replace('-', '_'), SharedAdminKey, Secret, database, _redis.ConnectionString);
}
