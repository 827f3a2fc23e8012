using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Auth;
using LivePreview.Tests.Repositories;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Tasks;

/// <summary>
/// <c>/api/v1/tasks</c> without a worker (LivePreview:Tasks:Workers=0): what a create refuses (400 ProblemDetails that say
/// what to give), what it stores, and that a task is its owner's (a stranger gets 404, as for a task that does not exist).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TaskApiTests : IAsyncLifetime
{
    private readonly TestRepositories _repos = new();
    private LivePreviewHost _host = null!;
    private string _repo = null!;

    public async Task InitializeAsync()
    {
        _repo = _repos.FromTemplate("tasks-api", "Tasks API");
        _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:Tasks:Workers"] = "0",
            ["LivePreview:Git:AllowedRemotes:0"] = _repos.Root + "/",
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _repos.Dispose();
    }

    [Fact]
    public async Task A_create_refuses_a_bad_title_remote_branch_capability_or_agent_with_a_400_that_says_what_to_give()
    {
        using var alice = AuthClients.WithKey(_host, await KeyAsync("alice"));
        var repository = new { url = _repo, base_branch = "main" };
        await AssertRefusedAsync(alice, new { repository }, "Invalid title");
        await AssertRefusedAsync(alice, new { title = new string('x', 201), repository }, "Invalid title");
        await AssertRefusedAsync(alice, new { title = "t" }, "Repository missing");
        await AssertRefusedAsync(alice, new { title = "t", repository = new { url = "https://elsewhere.invalid/a/b.git" } }, "Git remote not allowed");
        await AssertRefusedAsync(alice, new { title = "t", repository = new { url = _repo, base_branch = "bad..branch" } }, "Invalid base branch");
        await AssertRefusedAsync(alice, new { title = "t", repository, required_capabilities = new[] { "quantum" } }, "Unknown capability");
        await AssertRefusedAsync(alice, new { title = "t", repository, agent = "no-such-agent" }, "Agent not available");
        await AssertRefusedAsync(alice, new { title = "t", repository, agent = "replay", priority = 5000 }, "Invalid priority");
        Assert.Empty((await alice.GetFromJsonAsync<JsonElement>("api/v1/tasks")).EnumerateArray());
    }

    [Fact]
    public async Task A_task_is_queued_shown_to_its_owner_and_admins_only_and_cancelled_once()
    {
        using var alice = AuthClients.WithKey(_host, await KeyAsync("alice2"));
        using var bob = AuthClients.WithKey(_host, await KeyAsync("bob"));
        using var created = await alice.PostAsJsonAsync("api/v1/tasks", new
        {
            title = "Add a footer", description = "With the year.", repository = new { url = _repo, base_branch = "main" },
            required_capabilities = new[] { "react", "vite" }, agent = "replay", priority = 3,
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var task = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = task.GetProperty("id").GetString()!;
        Assert.Equal($"/api/v1/tasks/{id}", created.Headers.Location?.OriginalString);
        Assert.Equal("queued", task.GetProperty("status").GetString());
        Assert.Equal("Add a footer", task.GetProperty("title").GetString());
        Assert.Equal(JsonValueKind.Null, task.GetProperty("pull_request_url").ValueKind);

        var shown = await alice.GetFromJsonAsync<JsonElement>($"api/v1/tasks/{id}");
        Assert.Equal(id, shown.GetProperty("id").GetString());
        Assert.Equal([id], (await alice.GetFromJsonAsync<JsonElement>("api/v1/tasks")).EnumerateArray().Select(t => t.GetProperty("id").GetString()));
        Assert.Contains(id, (await _host.Http.GetFromJsonAsync<JsonElement>("api/v1/tasks")).EnumerateArray().Select(t => t.GetProperty("id").GetString()));

        foreach (var (method, path) in new[] { (HttpMethod.Get, $"api/v1/tasks/{id}"), (HttpMethod.Post, $"api/v1/tasks/{id}/cancel") })
        {
            using var asked = await bob.SendAsync(new HttpRequestMessage(method, path));
            Assert.Equal(HttpStatusCode.NotFound, asked.StatusCode);
            Assert.Equal("application/problem+json", asked.Content.Headers.ContentType?.MediaType);
            Assert.Contains("GET /api/v1/tasks", await asked.Content.ReadAsStringAsync());
        }
        Assert.Empty((await bob.GetFromJsonAsync<JsonElement>("api/v1/tasks")).EnumerateArray());

        using var cancelled = await alice.PostAsync($"api/v1/tasks/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal("cancelled", (await cancelled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        using var again = await alice.PostAsync($"api/v1/tasks/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    private static async Task AssertRefusedAsync(HttpClient client, object body, string title)
    {
        using var response = await client.PostAsJsonAsync("api/v1/tasks", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{JsonSerializer.Serialize(body)}: {(int)response.StatusCode} {text}");
        Assert.Equal(title, JsonDocument.Parse(text).RootElement.GetProperty("title").GetString());
    }

    private async Task<string> KeyAsync(string user)
    {
        using var response = await _host.Http.PostAsJsonAsync("api/v1/keys", new { user, name = "tasks" });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
    }
}
