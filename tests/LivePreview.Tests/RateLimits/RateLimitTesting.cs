using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Auth;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.RateLimits;

/// <summary>Keys for further users of a host, made through the API as its admin.</summary>
internal static class RateLimitTesting
{
    public static async Task<(string Id, string Key)> CreateKeyAsync(LivePreviewHost host, string user, bool admin = false)
    {
        using var response = await host.Http.PostAsJsonAsync("api/v1/keys", new { user, name = "tests", admin });
        response.EnsureSuccessStatusCode();
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (created.GetProperty("id").GetString()!, created.GetProperty("key").GetString()!);
    }

    public static async Task<HttpClient> ClientForAsync(LivePreviewHost host, string user) =>
        AuthClients.WithKey(host, (await CreateKeyAsync(host, user)).Key);
}
