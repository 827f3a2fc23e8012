using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Support;
using Xunit.Abstractions;

namespace LivePreview.Tests.Instances;

/// <summary>
/// An instance killed with SIGKILL (a crashed node): instance A runs as its own process with a sandbox whose preview is
/// ready; B, sharing the database and the secret, forwards requests for it to A. After <c>kill -9</c> of A, B marks the
/// sandbox lost within LostAfter + HeartbeatInterval of A's last beat (the wait allows a loaded machine far more; the
/// time it took is printed), says why, publishes SANDBOX_LOST, and nothing says "ready" for it. A started again with its
/// id resumes the sandbox, which B's forwarding reaches again, and deleting it through B removes it on A.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class InstanceLossTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string SharedAdminKey = InstanceSettings.NewAdminKey("loss");
    private static readonly string Secret = InstanceSettings.NewSecret();
    private readonly string _shared = Directory.CreateTempSubdirectory("lp-instance-loss-").FullName;
    private ServiceProcess? _a;
    private LivePreviewHost? _b;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_b is not null)
        {
            await _b.DisposeAsync();
        }
        if (_a is not null)
        {
            await _a.DisposeAsync();
        }
        Directory.Delete(_shared, recursive: true);
    }

    [Fact]
    public async Task A_killed_instances_sandbox_is_marked_lost_by_the_other_within_the_bound_and_resumes_when_it_returns()
    {
        _a = await StartAAsync();
        using var a = Client(_a.Port);
        using var created = await a.PostAsJsonAsync("api/v1/sandboxes", new { framework = "react-vite" });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await WaitForAsync(a, $"api/v1/preview/sandbox/{id}", p => p.GetProperty("status").GetString() == "ready", "A's preview ready");

        var settings = InstanceSettings.For("lp-b", second: false, "lpinst_loss_b", SharedAdminKey, Secret);
        settings["LivePreview:Database:Provider"] = "Sqlite";
        settings["LivePreview:Database:ConnectionString"] = Database;
        settings["LivePreview:Instances:LostAfter"] = "00:00:04";
        _b = await LivePreviewHost.StartAsync(settings);
        // Through B, answered by A.
        await WaitForAsync(_b.Http, $"api/v1/preview/sandbox/{id}", p => p.GetProperty("status").GetString() == "ready", "the preview through B");

        await _a.KillAsync();
        var killed = Stopwatch.StartNew();
        var lost = await WaitForAsync(_b.Http, $"api/v1/sandboxes/{id}", s => s.GetProperty("status").GetString() == "lost", "lost on B");
        output.WriteLine($"Marked lost {killed.Elapsed.TotalSeconds:0.0} s after kill -9 (bound: LostAfter 4 s + HeartbeatInterval 1 s after the last beat).");
        Assert.Contains("lp-a", lost.GetProperty("error").GetString(), StringComparison.Ordinal);
        var events = (await _b.Http.GetFromJsonAsync<JsonElement>($"api/v1/events?after=0&sandbox_id={id}&types=SANDBOX_LOST")).GetProperty("events");
        Assert.Single(events.EnumerateArray());
        using (var preview = await _b.Http.GetAsync($"api/v1/preview/sandbox/{id}"))
        {
            var body = await preview.Content.ReadAsStringAsync();
            Assert.DoesNotContain("\"ready\"", body, StringComparison.Ordinal);
        }
        using (var page = await _b.Http.GetAsync($"http://5173-{id}.preview.localhost:{_b.Port}/"))
        {
            Assert.DoesNotContain("/@vite/client", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // A returns with its id: its lost sandbox runs again, and B forwards to it again.
        _a = await StartAAsync();
        using var back = Client(_a.Port);
        await WaitForAsync(back, $"api/v1/sandboxes/{id}", s => s.GetProperty("status").GetString() == "running", "running again on A");
        await WaitForAsync(_b.Http, $"api/v1/preview/sandbox/{id}", p => p.GetProperty("status").GetString() == "ready", "ready again through B");
        Assert.Equal(HttpStatusCode.NoContent, (await _b.Http.DeleteAsync($"api/v1/sandboxes/{id}")).StatusCode);
        await _a.StopAsync();
        Assert.DoesNotContain($"lp-{id}", await Sandboxes.SandboxLifecycleTests.RunAsync("ip", "netns", "list"));
    }

    private string Database => $"Data Source={Path.Join(_shared, "livepreview.db")}";

    private Task<ServiceProcess> StartAAsync() => ServiceProcess.StartAsync(ServiceProcess.BuiltBinary, new Dictionary<string, string>
    {
        ["LivePreview__DataDirectory"] = Path.Join(_shared, "a"),
        ["LivePreview__Database__Provider"] = "Sqlite",
        ["LivePreview__Database__ConnectionString"] = Database,
        ["LivePreview__Auth__BootstrapKey"] = SharedAdminKey,
        ["LivePreview__TemplatesDirectory"] = Path.Join(LivePreviewHost.RepositoryRoot, "templates"),
        ["LivePreview__Snapshots__Root"] = LivePreviewHost.SharedSnapshotRoot,
        ["LivePreview__WarmPool__Size"] = "0",
        ["LivePreview__Instances__Id"] = "lp-a",
        ["LivePreview__Instances__Secret"] = Secret,
        ["LivePreview__Instances__HeartbeatInterval"] = "00:00:01",
        ["LivePreview__Instances__LostAfter"] = "00:00:04",
        // Its own sandbox addresses and firewall table: B runs on this machine too.
        ["LivePreview__Sandboxes__Local__SubnetPrefix"] = InstanceSettings.SecondPrefix,
        ["LivePreview__Sandboxes__Local__FirewallTable"] = "lpinst_loss_a",
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__LogLevel__LivePreview"] = "Information",
        ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
    }, _shared);

    private static HttpClient Client(int port)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", SharedAdminKey);
        return client;
    }

    /// <summary>Reads <paramref name="path"/> until <paramref name="done"/> holds (errors and 502s in between are waited out).</summary>
    private async Task<JsonElement> WaitForAsync(HttpClient client, string path, Func<JsonElement, bool> done, string what)
    {
        var last = "";
        for (var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3); DateTime.UtcNow < deadline; await Task.Delay(250))
        {
            try
            {
                using var response = await client.GetAsync(path);
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                if (response.IsSuccessStatusCode && JsonDocument.Parse(last[4..]).RootElement.Clone() is var body && done(body))
                {
                    return body;
                }
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }
        }
        throw new TimeoutException($"{what}: not reached; last answer {last}\n--- A's log ---\n{_a?.Log}");
    }
}
