using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Terminals;

/// <summary>One service, one running sandbox of the admin's, and a second user (bob) with an API key.</summary>
public sealed class TerminalWorld : IAsyncLifetime
{
    public LivePreviewHost Host { get; private set; } = null!;

    public string SandboxId { get; private set; } = "";

    public string BobKey { get; private set; } = "";

    public async Task InitializeAsync()
    {
        // Every test opens its own named terminal in the one sandbox, and detached ones live on.
        Host = await LivePreviewHost.StartAsync(new Dictionary<string, string?> { ["LivePreview:Terminals:MaxPerSandbox"] = "16" });
        SandboxId = await CreateRunningSandboxAsync();
        using var key = await Host.Http.PostAsJsonAsync("api/v1/keys", new { user = "bob", name = "terminal-tests" });
        Assert.Equal(HttpStatusCode.Created, key.StatusCode);
        BobKey = (await key.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();

    public async Task<string> CreateRunningSandboxAsync()
    {
        var id = (await Host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        while (DateTime.UtcNow < deadline)
        {
            var status = (await Host.Http.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{id}")).GetProperty("status").GetString();
            if (status == "running")
            {
                return id;
            }
            Assert.True(status == "creating", $"Sandbox {id} is {status}.");
            await Task.Delay(100);
        }
        throw new TimeoutException($"Sandbox {id} did not run in time.");
    }
}
