using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Persistence;
using LivePreview.Tests.Auth;
using LivePreview.Tests.Support;
using LivePreview.Tests.WarmPool;
using Microsoft.EntityFrameworkCore;

namespace LivePreview.Tests.Sandboxes;

/// <summary>LivePreview:Quotas:MaxSandboxesPerUser on real sandboxes: creates, concurrent creates and warm-pool claims.</summary>
[Collection(ServiceCollection.Name)]
public sealed class SandboxQuotaTests : IAsyncLifetime
{
    private LivePreviewHost? _host;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAndCleanAsync();
        }
    }

    [Fact]
    public async Task A_users_sandbox_beyond_the_quota_is_429_saying_the_limit_the_setting_and_what_to_delete_while_others_and_admins_still_create()
    {
        _host = await StartAsync(quota: 2);
        using var alice = AuthClients.WithKey(_host, await KeyAsync("alice"));
        using var bob = AuthClients.WithKey(_host, await KeyAsync("bob"));
        var first = await CreateAsync(alice, HttpStatusCode.Created);
        await CreateAsync(alice, HttpStatusCode.Created);

        using var refused = await alice.PostAsJsonAsync("api/v1/sandboxes", new { framework = "react-vite" });

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.False(refused.Headers.Contains("Retry-After"));
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Sandbox quota reached", problem.GetProperty("title").GetString());
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("LivePreview:Quotas:MaxSandboxesPerUser = 2", detail);
        Assert.Contains("DELETE /api/v1/sandboxes/{id}", detail);
        Assert.Equal(2, (await alice.GetFromJsonAsync<JsonElement>("api/v1/sandboxes")).GetArrayLength());

        await CreateAsync(bob, HttpStatusCode.Created);
        for (var i = 0; i < 3; i++)
        {
            await CreateAsync(_host.Http, HttpStatusCode.Created);
        }
        Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync($"api/v1/sandboxes/{first}")).StatusCode);
        await CreateAsync(alice, HttpStatusCode.Created);
    }

    [Fact]
    public async Task Eight_concurrent_creates_by_a_user_with_a_quota_of_two_make_exactly_two_sandboxes()
    {
        _host = await StartAsync(quota: 2);
        using var alice = AuthClients.WithKey(_host, await KeyAsync("alice"));

        var statuses = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var response = await alice.PostAsJsonAsync("api/v1/sandboxes", new { framework = "react-vite" });
            return response.StatusCode;
        }));

        Assert.Equal(2, statuses.Count(s => s == HttpStatusCode.Created));
        Assert.Equal(6, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(2, (await alice.GetFromJsonAsync<JsonElement>("api/v1/sandboxes")).GetArrayLength());
    }

    [Fact]
    public async Task A_session_start_over_the_quota_is_refused_and_leaves_the_pooled_sandbox_in_the_pool_unowned_until_a_start_within_it_claims_it()
    {
        _host = await PoolTesting.StartAsync(size: 1, new Dictionary<string, string?>
        {
            ["LivePreview:Quotas:MaxSandboxesPerUser"] = "1",
            ["LivePreview:Sandboxes:AutoStartPreview"] = "false",
        });
        using var alice = AuthClients.WithKey(_host, await KeyAsync("alice"));
        using var bob = AuthClients.WithKey(_host, await KeyAsync("bob"));
        var first = Assert.Single((await _host.WaitForPoolAsync(p => p.Int("ready") == 1, "1 ready")).MemberIds());
        // A plain create claims from the pool too: alice's one sandbox is the first member, and a second member comes up.
        var own = await CreateAsync(alice, HttpStatusCode.Created);
        Assert.Equal(first, own);
        var member = Assert.Single((await _host.WaitForPoolAsync(p => p.Int("ready") == 1 && !p.MemberIds().Contains(first), "a second member ready")).MemberIds());

        using var refused = await alice.PostAsJsonAsync("api/v1/prototype/session", new { framework = "react-vite" });

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains("MaxSandboxesPerUser", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        var pool = (await _host.ReactPoolAsync())!.Value;
        Assert.Equal([member], pool.MemberIds("ready"));
        Assert.Equal(1, pool.Int("hits"));
        Assert.Null(await OwnerAsync(member));
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync($"api/v1/sandboxes/{member}")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync($"api/v1/sandboxes/{own}")).StatusCode);
        using var started = await alice.PostAsJsonAsync("api/v1/prototype/session", new { framework = "react-vite" });
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        Assert.Equal(member, (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("sandbox_id").GetString());
        Assert.Equal("alice", await OwnerAsync(member));
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync($"api/v1/sandboxes/{member}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"api/v1/sandboxes/{member}")).StatusCode);
        var events = (await alice.GetFromJsonAsync<JsonElement>($"api/v1/events?after=0&sandbox_id={member}")).GetProperty("events");
        // The member's events from before the claim (its creation, its dev server) are alice's now.
        Assert.Contains(events.EnumerateArray(), e => e.GetProperty("type").GetString() == "SANDBOX_CREATING");
        Assert.Empty((await bob.GetFromJsonAsync<JsonElement>($"api/v1/events?after=0&sandbox_id={member}")).GetProperty("events").EnumerateArray());
    }

    private static Task<LivePreviewHost> StartAsync(int quota) => LivePreviewHost.StartAsync(new Dictionary<string, string?>
    {
        ["LivePreview:Quotas:MaxSandboxesPerUser"] = quota.ToString(System.Globalization.CultureInfo.InvariantCulture),
        // Quotas are about rows, not dev servers: no Vite competing for the two cores.
        ["LivePreview:Sandboxes:AutoStartPreview"] = "false",
    });

    private async Task<string> KeyAsync(string user)
    {
        using var response = await _host!.Http.PostAsJsonAsync("api/v1/keys", new { user, name = "quota" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
    }

    private static async Task<string> CreateAsync(HttpClient client, HttpStatusCode expected)
    {
        using var response = await client.PostAsJsonAsync("api/v1/sandboxes", new { framework = "react-vite" });
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private async Task<string?> OwnerAsync(string sandboxId)
    {
        await using var db = await _host!.Service<IDbContextFactory<LivePreviewDbContext>>().CreateDbContextAsync();
        return (await db.Sandboxes.SingleAsync(s => s.Id == sandboxId)).Owner;
    }
}
