using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Auth;
using LivePreview.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace LivePreview.Tests.Auth;

/// <summary>API keys: made by an admin, shown once, stored hashed, scoped to a user, revocable; the bootstrap key.</summary>
[Collection(ServiceCollection.Name)]
public sealed class ApiKeyTests : IAsyncLifetime
{
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync() => _host = await LivePreviewHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_key_an_admin_makes_works_for_its_user_until_it_is_revoked_and_then_is_401()
    {
        var created = await CreateKeyAsync("alice", "ci");
        var id = created.GetProperty("id").GetString()!;
        var key = created.GetProperty("key").GetString()!;
        Assert.Equal("alice", created.GetProperty("user").GetString());
        using var alice = AuthClients.WithKey(_host, key);

        using (var works = await alice.GetAsync("api/v1/sandboxes"))
        {
            Assert.Equal(HttpStatusCode.OK, works.StatusCode);
        }
        using (var revoke = await _host.Http.DeleteAsync($"api/v1/keys/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }
        using (var revoked = await alice.GetAsync("api/v1/sandboxes"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
        }
        var listed = (await _host.Http.GetFromJsonAsync<JsonElement>("api/v1/keys")).EnumerateArray().Single(k => k.GetProperty("id").GetString() == id);
        Assert.NotEqual(JsonValueKind.Null, listed.GetProperty("revoked_at").ValueKind);
    }

    [Fact]
    public async Task The_key_is_shown_once_and_only_its_sha256_is_stored()
    {
        var created = await CreateKeyAsync("bob", "laptop");
        var key = created.GetProperty("key").GetString()!;

        var list = await _host.Http.GetStringAsync("api/v1/keys");
        await using var db = await _host.Service<IDbContextFactory<LivePreview.Persistence.LivePreviewDbContext>>().CreateDbContextAsync();
        var stored = await db.ApiKeys.SingleAsync(k => k.Id == created.GetProperty("id").GetString());

        Assert.DoesNotContain(key, list, StringComparison.Ordinal);
        Assert.DoesNotContain("hash", list, StringComparison.Ordinal);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key))), stored.Hash);
        Assert.True(key.Length >= 40, key);
    }

    [Fact]
    public async Task A_user_who_is_not_an_admin_gets_403_from_every_keys_endpoint()
    {
        var key = (await CreateKeyAsync("carol", "ci")).GetProperty("key").GetString()!;
        using var carol = AuthClients.WithKey(_host, key);

        using var list = await carol.GetAsync("api/v1/keys");
        using var create = await carol.PostAsJsonAsync("api/v1/keys", new { user = "carol", name = "more", admin = true });
        using var revoke = await carol.DeleteAsync($"api/v1/keys/{ApiKeys.BootstrapId}");

        Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _host.Http.GetAsync("api/v1/keys")).StatusCode);
    }

    [Fact]
    public async Task A_key_made_as_admin_may_manage_keys()
    {
        var key = (await CreateKeyAsync("dave", "ops", admin: true)).GetProperty("key").GetString()!;
        using var dave = AuthClients.WithKey(_host, key);

        using var list = await dave.GetAsync("api/v1/keys");

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
    }

    [Theory]
    [InlineData("Alice", "ci")]
    [InlineData("", "ci")]
    [InlineData("../etc", "ci")]
    [InlineData("alice", "")]
    public async Task A_bad_user_or_name_is_a_400_that_says_what_is_allowed(string user, string name)
    {
        using var response = await _host.Http.PostAsJsonAsync("api/v1/keys", new { user, name });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("must be", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Revoking_an_unknown_key_is_a_404()
    {
        using var response = await _host.Http.DeleteAsync("api/v1/keys/key_0000000000000000");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private async Task<JsonElement> CreateKeyAsync(string user, string name, bool admin = false)
    {
        using var response = await _host.Http.PostAsJsonAsync("api/v1/keys", new { user, name, admin });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
