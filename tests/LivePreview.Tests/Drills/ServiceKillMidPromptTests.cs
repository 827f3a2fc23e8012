using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Drills;

/// <summary>
/// The service is killed with SIGKILL in the middle of a prompt: it runs as its own process (<see cref="ServiceProcess"/>)
/// with a prototype session and an agent session on another sandbox, both on the replay agent playing a slow transcript
/// (two file writes, then a long pause). Once both writes landed and both turns still run, <c>kill -9</c>; started again
/// on the same data directory, every sandbox runs with its preview ready, both turns are on record as interrupted (not
/// running forever) saying the service restarted, the edits are on disk, the next checkpoint holds them, and both
/// sessions continue.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class ServiceKillMidPromptTests : IAsyncLifetime
{
    private const string SlowPrompt = "drill: write two files slowly";
    private const string FinishPrompt = "drill: finish";
    private static readonly string AdminKey = InstanceSettings.NewAdminKey("killprompt");
    private readonly string _root = Directory.CreateTempSubdirectory("lp-kill-prompt-").FullName;
    private ServiceProcess? _service;

    public Task InitializeAsync()
    {
        var replays = Directory.CreateDirectory(Path.Join(_root, "replays", "react-vite")).FullName;
        File.WriteAllText(Path.Join(replays, "1-slow.json"), JsonSerializer.Serialize(new
        {
            prompt = SlowPrompt, match = "exact", summary = "Wrote three files.",
            steps = new object[]
            {
                new { tool = "write_file", arguments = new { path = "src/drill-1.txt", content = "first edit\n" } },
                new { delay_ms = 200 },
                new { tool = "write_file", arguments = new { path = "src/drill-2.txt", content = "second edit\n" } },
                // Long enough that the kill always comes while the turn runs; the service never lives to play the rest.
                new { delay_ms = 600_000 },
                new { tool = "write_file", arguments = new { path = "src/never.txt", content = "after the kill\n" } },
            },
        }));
        File.WriteAllText(Path.Join(replays, "2-finish.json"), JsonSerializer.Serialize(new
        {
            prompt = FinishPrompt, match = "exact", summary = "Finished.",
            steps = new object[] { new { tool = "write_file", arguments = new { path = "src/drill-3.txt", content = "after the restart\n" } } },
        }));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        try
        {
            // Whatever state the test left: a service on the data directory removes every sandbox it holds (mounts,
            // namespaces, cgroups), then stops; a kill -9 left them for the next start to reconcile.
            _service ??= await StartAsync();
            if (_service.HasExited)
            {
                await _service.DisposeAsync();
                _service = await StartAsync();
            }
            using var client = Client();
            var sandboxes = await client.GetFromJsonAsync<JsonElement>("api/v1/sandboxes");
            foreach (var sandbox in sandboxes.EnumerateArray())
            {
                await client.DeleteAsync($"api/v1/sandboxes/{sandbox.GetProperty("id").GetString()}");
            }
        }
        finally
        {
            if (_service is not null)
            {
                await _service.DisposeAsync();
            }
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task A_service_killed_mid_prompt_recovers_every_sandbox_marks_both_turns_interrupted_and_loses_no_edit()
    {
        _service = await StartAsync();
        using var api = Client();
        using var started = await api.PostAsJsonAsync("api/v1/prototype/session", new { framework = "react-vite", agent = "replay" });
        Assert.True(started.StatusCode == HttpStatusCode.Created, await started.Content.ReadAsStringAsync());
        var prototype = await started.Content.ReadFromJsonAsync<JsonElement>();
        var prototypeId = prototype.GetProperty("id").GetString()!;
        var prototypeSandbox = prototype.GetProperty("sandbox_id").GetString()!;
        using var created = await api.PostAsJsonAsync("api/v1/sandboxes", new { framework = "react-vite" });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var agentSandbox = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await WaitForAsync(api, $"api/v1/prototype/session/{prototypeId}", s => s.GetProperty("status").GetString() == "ready", "the prototype ready");
        await WaitForAsync(api, $"api/v1/preview/sandbox/{agentSandbox}", p => p.GetProperty("status").GetString() == "ready", "the agent sandbox's preview ready");

        using (var prompt = await api.PostAsJsonAsync($"api/v1/prototype/session/{prototypeId}/prompt", new { prompt = SlowPrompt }))
        {
            Assert.True(prompt.StatusCode == HttpStatusCode.Accepted, await prompt.Content.ReadAsStringAsync());
        }
        using (var session = await api.PostAsJsonAsync($"api/v1/sandbox/{agentSandbox}/session", new { agent = "replay", instruction = SlowPrompt }))
        {
            Assert.True(session.StatusCode == HttpStatusCode.Created, await session.Content.ReadAsStringAsync());
        }
        foreach (var sandbox in new[] { prototypeSandbox, agentSandbox })
        {
            await WaitForFileAsync(api, sandbox, "src/drill-2.txt", "second edit\n");
        }
        Assert.Equal("running", (await api.GetFromJsonAsync<JsonElement>($"api/v1/prototype/session/{prototypeId}")).GetProperty("turns")[0].GetProperty("status").GetString());
        Assert.Equal("running", (await api.GetFromJsonAsync<JsonElement>($"api/v1/sandbox/{agentSandbox}/session")).GetProperty("status").GetString());

        await _service.KillAsync();
        _service = await StartAsync();

        foreach (var sandbox in new[] { prototypeSandbox, agentSandbox })
        {
            await WaitForAsync(api, $"api/v1/sandboxes/{sandbox}", s => s.GetProperty("status").GetString() == "running", $"sandbox {sandbox} running again");
            await WaitForAsync(api, $"api/v1/preview/sandbox/{sandbox}", p => p.GetProperty("status").GetString() == "ready", $"the preview of {sandbox} ready again");
            foreach (var (path, content) in new[] { ("src/drill-1.txt", "first edit\n"), ("src/drill-2.txt", "second edit\n") })
            {
                Assert.Equal(content, await api.GetStringAsync($"api/v1/sandboxes/{sandbox}/files/{path}"));
            }
            Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync($"api/v1/sandboxes/{sandbox}/files/src/never.txt")).StatusCode);
        }

        // The prototype's turn: ended, as interrupted ("cancelled"), saying why; the session is ready for the next prompt.
        var recovered = await WaitForAsync(api, $"api/v1/prototype/session/{prototypeId}", s => s.GetProperty("status").GetString() == "ready", "the prototype ready again");
        var cut = Assert.Single(recovered.GetProperty("turns").EnumerateArray());
        Assert.Equal("cancelled", cut.GetProperty("status").GetString());
        Assert.Contains("restarted", cut.GetProperty("error").GetString());
        // The agent session's: interrupted by the start-up reconciliation (AgentSessionLog 2105), resumable.
        var interrupted = await api.GetFromJsonAsync<JsonElement>($"api/v1/sandbox/{agentSandbox}/session");
        Assert.Equal("interrupted", interrupted.GetProperty("status").GetString());
        Assert.Contains("restarted", interrupted.GetProperty("error").GetString());
        Assert.True(interrupted.GetProperty("can_resume").GetBoolean());
        Assert.Equal("interrupted", Assert.Single(interrupted.GetProperty("turns").EnumerateArray()).GetProperty("status").GetString());
        Assert.Contains("[2105]", _service.Log, StringComparison.Ordinal);
        Assert.Contains("[2895]", _service.Log, StringComparison.Ordinal);

        // The next prompt's checkpoint holds the edits the killed turn made, read back through the API.
        using (var next = await api.PostAsJsonAsync($"api/v1/prototype/session/{prototypeId}/prompt", new { prompt = FinishPrompt }))
        {
            Assert.True(next.StatusCode == HttpStatusCode.Accepted, await next.Content.ReadAsStringAsync());
        }
        var finished = await WaitForAsync(api, $"api/v1/prototype/session/{prototypeId}",
            s => s.GetProperty("turns").GetArrayLength() == 2 && s.GetProperty("turns")[1].GetProperty("status").GetString() != "running", "the next prompt done");
        var turn = finished.GetProperty("turns")[1];
        Assert.True(turn.GetProperty("status").GetString() == "completed", turn.GetRawText());
        var checkpointId = turn.GetProperty("checkpoint_id").GetString()!;
        var diff = await api.GetFromJsonAsync<JsonElement>($"api/v1/prototype/session/{prototypeId}/checkpoints/{checkpointId}/diff");
        var changed = diff.EnumerateArray().ToDictionary(f => f.GetProperty("path").GetString()!, f => f.GetProperty("diff").GetString() ?? "");
        Assert.Contains("+first edit", changed.GetValueOrDefault("src/drill-1.txt"), StringComparison.Ordinal);
        Assert.Contains("+second edit", changed.GetValueOrDefault("src/drill-2.txt"), StringComparison.Ordinal);
        Assert.Contains("+after the restart", changed.GetValueOrDefault("src/drill-3.txt"), StringComparison.Ordinal);

        // The agent session continues where it was cut off.
        using (var resumed = await api.PostAsJsonAsync($"api/v1/sandbox/{agentSandbox}/resume", new { instruction = FinishPrompt }))
        {
            Assert.True(resumed.StatusCode == HttpStatusCode.OK, await resumed.Content.ReadAsStringAsync());
        }
        var done = await WaitForAsync(api, $"api/v1/sandbox/{agentSandbox}/session", s => s.GetProperty("status").GetString() is "completed" or "failed", "the resumed session done");
        Assert.Equal(["interrupted", "completed"], done.GetProperty("turns").EnumerateArray().Select(t => t.GetProperty("status").GetString()));
        Assert.Equal("after the restart\n", await api.GetStringAsync($"api/v1/sandboxes/{agentSandbox}/files/src/drill-3.txt"));
    }

    private Task<ServiceProcess> StartAsync() => ServiceProcess.StartAsync(ServiceProcess.BuiltBinary, new Dictionary<string, string>
    {
        ["LivePreview__DataDirectory"] = Path.Join(_root, "data"),
        ["LivePreview__Database__Provider"] = "Sqlite",
        ["LivePreview__Auth__BootstrapKey"] = AdminKey,
        ["LivePreview__TemplatesDirectory"] = Path.Join(LivePreviewHost.RepositoryRoot, "templates"),
        ["LivePreview__Snapshots__Root"] = LivePreviewHost.SharedSnapshotRoot,
        ["LivePreview__WarmPool__Size"] = "0",
        ["LivePreview__Instances__Id"] = "lp-drill-kill",
        ["LivePreview__Agents__ReplayDirectory"] = Path.Join(_root, "replays"),
        ["LivePreview__Prototypes__Screenshots__Enabled"] = "false",
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__LogLevel__LivePreview"] = "Information",
        ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
    }, _root);

    /// <summary>An admin client whose requests go to 127.0.0.1 on the port the service running now listens on (it changes with every start).</summary>
    private HttpClient Client()
    {
        var client = new HttpClient(new CurrentPort(() => _service!.Port)) { BaseAddress = new Uri("http://127.0.0.1/"), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminKey);
        return client;
    }

    private async Task WaitForFileAsync(HttpClient client, string sandboxId, string path, string content) =>
        await WaitForAsync(client, $"api/v1/sandboxes/{sandboxId}/files/{path}", _ => true, $"{path} in {sandboxId}", raw => raw == content);

    /// <summary>Reads <paramref name="path"/> until <paramref name="done"/> holds (errors in between are waited out).</summary>
    private async Task<JsonElement> WaitForAsync(HttpClient client, string path, Func<JsonElement, bool> done, string what, Func<string, bool>? rawDone = null)
    {
        var last = "";
        for (var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3); DateTime.UtcNow < deadline; await Task.Delay(200))
        {
            try
            {
                using var response = await client.GetAsync(path);
                var body = await response.Content.ReadAsStringAsync();
                last = $"{(int)response.StatusCode} {body}";
                if (response.IsSuccessStatusCode && rawDone is not null)
                {
                    if (rawDone(body))
                    {
                        return default;
                    }
                }
                else if (response.IsSuccessStatusCode && JsonDocument.Parse(body).RootElement.Clone() is var json && done(json))
                {
                    return json;
                }
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }
        }
        throw new TimeoutException($"{what}: not reached; last answer {last}\n--- the service's log ---\n{_service?.Log}");
    }

    private sealed class CurrentPort(Func<int> port) : DelegatingHandler(new SocketsHttpHandler { UseProxy = false })
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.RequestUri = new UriBuilder(request.RequestUri!) { Port = port() }.Uri;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
