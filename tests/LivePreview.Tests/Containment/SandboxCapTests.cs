using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Sandboxes;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Containment;

/// <summary>
/// The sandbox cap (a limit of the machine, so of each instance) holds under concurrent creates, also with a second
/// instance sharing the database and creating at the same time: each instance stores at most its own cap, whatever the
/// other one stores. Instance B has no templates, so its sandboxes fail to provision right away: the cap counts stored
/// sandboxes, and the race is in storing them. No instance secret: nothing is forwarded, each answers what reaches it.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class SandboxCapTests : IAsyncLifetime
{
    private const int Max = 4;

    /// <summary>Instances sharing a database share their bootstrap key too (one admin; a second key would replace the first).</summary>
    private static readonly string SharedAdminKey = "lpk_cap-test-" + Guid.NewGuid().ToString("N");
    private readonly string _shared = Directory.CreateTempSubdirectory("lp-cap-db-").FullName;
    private LivePreviewHost _a = null!;
    private LivePreviewHost _b = null!;

    public async Task InitializeAsync()
    {
        var database = $"Data Source={Path.Join(_shared, "livepreview.db")}";
        _a = await LivePreviewHost.StartAsync(Settings(database));
        var b = Settings(database);
        b["LivePreview:TemplatesDirectory"] = Path.Join(_shared, "no-templates");
        b["LivePreview:Snapshots:Root"] = Path.Join(_shared, "no-snapshots");
        _b = await LivePreviewHost.StartAsync(b);
    }

    public async Task DisposeAsync()
    {
        // Each deletes its own sandboxes; B never made a real one.
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        Directory.Delete(_shared, recursive: true);
    }

    [Fact]
    public async Task Many_parallel_creates_on_two_instances_sharing_a_database_never_pass_either_instances_cap()
    {
        // Warm both instances' create path (JIT, connections, the database) so the creates below really overlap.
        foreach (var host in new[] { _a, _b })
        {
            var warm = (await host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString();
            Assert.Equal(HttpStatusCode.NoContent, (await host.Http.DeleteAsync($"api/v1/sandboxes/{warm}")).StatusCode);
        }
        await Task.WhenAll(Enumerable.Range(0, 64).Select(i => (i % 2 == 0 ? _a : _b).Http.GetAsync("api/v1/sandboxes")));
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var posts = Enumerable.Range(0, 64).Select(async i =>
        {
            await start.Task;
            return await (i % 2 == 0 ? _a : _b).Http.PostAsJsonAsync("api/v1/sandboxes", new { framework = "react-vite" });
        }).ToList();
        start.SetResult();

        var responses = await Task.WhenAll(posts);

        Assert.Equal(2 * Max, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        var refused = responses.Where(r => r.StatusCode != HttpStatusCode.Created).ToList();
        Assert.All(refused, r => Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode));
        var problem = await refused[0].Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Too many sandboxes", problem.GetProperty("title").GetString());
        // The admin's list shows both instances' sandboxes; each instance runs exactly its cap.
        Assert.Equal(2 * Max, (await _a.Http.GetFromJsonAsync<JsonElement>("api/v1/sandboxes")).GetArrayLength());
        Assert.Equal(2 * Max, (await _b.Http.GetFromJsonAsync<JsonElement>("api/v1/sandboxes")).GetArrayLength());
        Assert.Equal(Max, (await _a.Service<SandboxManager>().ListLocalAsync(CancellationToken.None)).Count);
        Assert.Equal(Max, (await _b.Service<SandboxManager>().ListLocalAsync(CancellationToken.None)).Count);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    private static Dictionary<string, string?> Settings(string database) => new()
    {
        ["LivePreview:Database:ConnectionString"] = database,
        ["LivePreview:Sandboxes:MaxSandboxes"] = Max.ToString(),
        ["LivePreview:Sandboxes:AutoStartPreview"] = "false",
        ["LivePreview:Auth:BootstrapKey"] = SharedAdminKey,
        // 66 creates by one user in a second: this test is about the cap, not the per-user rate limit.
        ["LivePreview:RateLimits:SandboxCreates:Enabled"] = "false",
    };
}
