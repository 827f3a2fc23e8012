using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Auth;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Grants;

/// <summary>
/// One service and one react-vite sandbox owned by alice (made with her key), with its 5173 preview ready and a
/// second preview on port 3000 of the same sandbox (nothing listens there: it stays starting, which only the
/// allowed see). Bob is another user with his own key.
/// </summary>
public sealed class GrantFixture : IAsyncLifetime
{
    public LivePreviewHost Host { get; private set; } = null!;

    public HttpClient Alice { get; private set; } = null!;

    public HttpClient Bob { get; private set; } = null!;

    public string AliceKey { get; private set; } = null!;

    public string BobKey { get; private set; } = null!;

    public string SandboxId { get; private set; } = null!;

    public string PreviewId { get; private set; } = null!;

    public string PreviewUrl { get; private set; } = null!;

    public string OtherPortPreviewId { get; private set; } = null!;

    public string OtherPortUrl { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // Grants as short as a second, so a test can watch one expire.
        Host = await LivePreviewHost.StartAsync(new Dictionary<string, string?> { ["LivePreview:Grants:MinLifetime"] = "00:00:01" });
        AliceKey = await KeyAsync("alice");
        BobKey = await KeyAsync("bob");
        Alice = AuthClients.WithKey(Host, AliceKey);
        Bob = AuthClients.WithKey(Host, BobKey);
        using var created = await Alice.PostAsJsonAsync("api/v1/sandboxes", new { framework = "react-vite" });
        created.EnsureSuccessStatusCode();
        SandboxId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var preview = await Host.WaitForPreviewAsync(SandboxId);
        PreviewId = preview.GetProperty("id").GetString()!;
        PreviewUrl = preview.GetProperty("preview_url").GetString()!;
        using var other = await Alice.PostAsJsonAsync("api/v1/preview/", new { sandbox_id = SandboxId, port = 3000 });
        other.EnsureSuccessStatusCode();
        var otherPreview = await other.Content.ReadFromJsonAsync<JsonElement>();
        OtherPortPreviewId = otherPreview.GetProperty("id").GetString()!;
        OtherPortUrl = otherPreview.GetProperty("preview_url").GetString()!;
    }

    public async Task DisposeAsync()
    {
        Alice.Dispose();
        Bob.Dispose();
        await Host.DisposeAsync();
    }

    private async Task<string> KeyAsync(string user)
    {
        using var response = await Host.Http.PostAsJsonAsync("api/v1/keys", new { user, name = "grants-test" });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
    }
}
