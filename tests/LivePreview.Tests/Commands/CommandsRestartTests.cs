using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Auth;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Commands;

/// <summary>A command's record and output outlive the service; one that was running when it stopped is lost, not running forever.</summary>
[Collection(ServiceCollection.Name)]
public sealed class CommandsRestartTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> Settings = new() { ["LivePreview:Sandboxes:AutoStartPreview"] = "false" };
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync() => _host = await LivePreviewHost.StartAsync(Settings);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task After_a_restart_with_the_same_data_directory_records_and_output_are_still_there_and_running_ones_are_lost()
    {
        var key = await CommandWorld.KeyAsync(_host, "restart-owner");
        string sandboxId, doneId, runningId;
        using (var owner = AuthClients.WithKey(_host, key))
        {
            sandboxId = await CommandWorld.CreateRunningSandboxAsync(owner);
            doneId = await StartAsync(owner, sandboxId, ["sh", "-c", "echo kept across restarts"]);
            while ((await owner.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{sandboxId}/commands/{doneId}")).GetProperty("status").GetString() == "running")
            {
                await Task.Delay(50);
            }
            runningId = await StartAsync(owner, sandboxId, ["sh", "-c", "echo before the restart; sleep 600"]);
            while (!(await owner.GetStringAsync($"api/v1/sandboxes/{sandboxId}/commands/{runningId}/output")).Contains("before the restart"))
            {
                await Task.Delay(50);
            }
        }
        var dataDirectory = _host.DataDirectory;
        await _host.App.StopAsync();
        await _host.App.DisposeAsync();

        _host = await LivePreviewHost.StartAsync(Settings, dataDirectory);
        using var again = AuthClients.WithKey(_host, key);
        var done = await again.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{sandboxId}/commands/{doneId}");
        var lost = await again.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{sandboxId}/commands/{runningId}");

        Assert.Equal("exited", done.GetProperty("status").GetString());
        Assert.Equal(0, done.GetProperty("exit_code").GetInt32());
        Assert.Equal("kept across restarts\n", await again.GetStringAsync($"api/v1/sandboxes/{sandboxId}/commands/{doneId}/output"));
        Assert.Equal("lost", lost.GetProperty("status").GetString());
        Assert.Contains("before the restart", await again.GetStringAsync($"api/v1/sandboxes/{sandboxId}/commands/{runningId}/output"));
        Assert.Equal(2, (await again.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{sandboxId}/commands")).GetArrayLength());
    }

    [Fact]
    public async Task Stopping_the_sandbox_kills_its_commands()
    {
        var key = await CommandWorld.KeyAsync(_host, "stop-owner");
        using var owner = AuthClients.WithKey(_host, key);
        var sandboxId = await CommandWorld.CreateRunningSandboxAsync(owner);
        var id = await StartAsync(owner, sandboxId, ["sleep", "600"]);

        using (var stopped = await owner.PostAsync($"api/v1/sandboxes/{sandboxId}/stop", null))
        {
            Assert.Equal(HttpStatusCode.OK, stopped.StatusCode);
        }

        Assert.Equal("killed", (await owner.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{sandboxId}/commands/{id}")).GetProperty("status").GetString());
        var refused = await CommandsApiTests.ProblemAsync(await owner.PostAsJsonAsync($"api/v1/sandboxes/{sandboxId}/commands", new { command = new[] { "true" } }), 409);
        Assert.Contains("must be running", refused.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Deleting_the_sandbox_kills_its_commands_and_removes_their_records_and_output_files()
    {
        using var owner = AuthClients.WithKey(_host, await CommandWorld.KeyAsync(_host, "delete-owner"));
        var sandboxId = await CommandWorld.CreateRunningSandboxAsync(owner);
        var id = await StartAsync(owner, sandboxId, ["sh", "-c", "echo doomed; sleep 600"]);
        var file = _host.Service<LivePreview.Commands.CommandService>().OutputPath(id);
        Assert.True(File.Exists(file));

        using (var deleted = await owner.DeleteAsync($"api/v1/sandboxes/{sandboxId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        Assert.False(File.Exists(file));
        await using var db = await _host.Service<Microsoft.EntityFrameworkCore.IDbContextFactory<LivePreview.Persistence.LivePreviewDbContext>>().CreateDbContextAsync();
        Assert.False(db.Commands.Any(c => c.SandboxId == sandboxId));
    }

    private static async Task<string> StartAsync(HttpClient client, string sandboxId, string[] command)
    {
        using var response = await client.PostAsJsonAsync($"api/v1/sandboxes/{sandboxId}/commands", new { command });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }
}
