using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LivePreview.Tests.Auth;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Commands;

/// <summary>A running service with one sandbox of a user's (not the admin's), shared by the commands tests.</summary>
public sealed class CommandWorld : IAsyncLifetime
{
    public LivePreviewHost Host { get; private set; } = null!;
    public HttpClient Owner { get; private set; } = null!;
    public HttpClient Stranger { get; private set; } = null!;
    public string SandboxId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:Commands:OutputKeepKiB"] = "64",
            ["LivePreview:Commands:MaxConcurrentPerSandbox"] = "3",
            ["LivePreview:Sandboxes:AutoStartPreview"] = "false",
        });
        Owner = AuthClients.WithKey(Host, await KeyAsync(Host, "cmd-owner"));
        Stranger = AuthClients.WithKey(Host, await KeyAsync(Host, "cmd-stranger"));
        SandboxId = await CreateRunningSandboxAsync(Owner);
    }

    public async Task DisposeAsync()
    {
        Owner.Dispose();
        Stranger.Dispose();
        await Host.DisposeAsync();
    }

    public static async Task<string> KeyAsync(LivePreviewHost host, string user)
    {
        using var response = await host.Http.PostAsJsonAsync("api/v1/keys", new { user, name = "commands" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
    }

    public static async Task<string> CreateRunningSandboxAsync(HttpClient client)
    {
        using var created = await client.PostAsJsonAsync("api/v1/sandboxes", new { framework = "react-vite" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (DateTime.UtcNow < deadline)
        {
            var sandbox = await client.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{id}");
            var status = sandbox.GetProperty("status").GetString();
            Assert.NotEqual("error", status);
            if (status == "running")
            {
                return id;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"Sandbox {id} was not running in time.");
    }
}

/// <summary>Commands in a real sandbox through the real API: output, streaming, stdin, kill, timeout, bounds, ownership, events.</summary>
[Collection(ServiceCollection.Name)]
public sealed class CommandsApiTests(CommandWorld world) : IClassFixture<CommandWorld>
{
    private string Commands => $"api/v1/sandboxes/{world.SandboxId}/commands";

    [Fact]
    public async Task Node_runs_and_its_output_and_record_are_stored()
    {
        var started = await StartAsync(["node", "-e", "console.log('hello from node ' + process.version); console.error('to stderr'); process.exit(3)"]);
        Assert.StartsWith("cmd_", started.GetProperty("id").GetString());
        Assert.Equal("running", started.GetProperty("status").GetString());

        var ended = await WaitEndedAsync(started);

        Assert.Equal("exited", ended.GetProperty("status").GetString());
        Assert.Equal(3, ended.GetProperty("exit_code").GetInt32());
        Assert.Equal("/app", ended.GetProperty("cwd").GetString());
        Assert.Equal("node", ended.GetProperty("command")[0].GetString());
        Assert.True(ended.GetProperty("duration_ms").GetInt64() >= 0);
        Assert.NotEqual(JsonValueKind.Null, ended.GetProperty("ended_at").ValueKind);
        var output = await OutputAsync(started);
        Assert.Contains("hello from node v", output);
        Assert.Contains("to stderr", output);
        Assert.Equal(Encoding.UTF8.GetByteCount(output), ended.GetProperty("output_bytes").GetInt64());
        Assert.False(ended.GetProperty("output_truncated").GetBoolean());
        var list = await world.Owner.GetFromJsonAsync<JsonElement>(Commands);
        Assert.Contains(list.EnumerateArray(), c => c.GetProperty("id").GetString() == started.GetProperty("id").GetString());
    }

    [Fact]
    public async Task The_package_managers_layer_is_bound_in_the_services_sandboxes_and_pnpm_runs_from_it()
    {
        // The layer scripts/setup.sh installed (test.sh runs it first), found by the service where setup.sh put it.
        var started = await StartAsync([.. LivePreview.Repositories.PackageManagerTools.Pnpm, "--version"]);

        var ended = await WaitEndedAsync(started);

        var output = await OutputAsync(started);
        Assert.True(ended.GetProperty("exit_code").GetInt32() == 0, output);
        using var pins = JsonDocument.Parse(File.ReadAllText(Path.Combine(LivePreviewHost.RepositoryRoot, "tools", "package-managers", "package.json")));
        Assert.Equal(pins.RootElement.GetProperty("dependencies").GetProperty("pnpm").GetString(), output.Trim());
    }

    [Fact]
    public async Task A_command_runs_in_the_given_directory_with_the_given_environment_and_no_shell_of_its_own()
    {
        var started = await StartAsync(["sh", "-c", "pwd; echo \"$GREETING\"; echo '$GREETING'"], cwd: "/app/src", env: new() { ["GREETING"] = "hi; rm -rf /" });
        await WaitEndedAsync(started);

        Assert.Equal("/app/src\nhi; rm -rf /\n$GREETING\n", await OutputAsync(started));
    }

    [Fact]
    public async Task Follow_streams_the_output_while_the_command_runs_and_ends_when_it_exits()
    {
        // The command prints, then waits on stdin: the first line must arrive while it is still running.
        var started = await StartAsync(["sh", "-c", "echo first; read answer; echo \"second $answer\"; for i in 1 2 3 4; do echo tick $i; sleep 0.5; done"]);
        var id = started.GetProperty("id").GetString()!;
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Commands}/{id}/output?follow=true");
        using var response = await world.Owner.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        Assert.Equal("first", await reader.ReadLineAsync());
        Assert.Equal("running", (await GetAsync(id)).GetProperty("status").GetString());
        using (var input = await world.Owner.PostAsync($"{Commands}/{id}/input", new StringContent("yes\n")))
        {
            Assert.Equal(HttpStatusCode.OK, input.StatusCode);
        }
        Assert.Equal("second yes", await reader.ReadLineAsync());
        var rest = await reader.ReadToEndAsync();

        Assert.Equal("tick 1\ntick 2\ntick 3\ntick 4\n", rest);
        Assert.Equal("exited", (await WaitEndedAsync(started)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_follower_that_disconnects_does_not_disturb_the_command()
    {
        var started = await StartAsync(["sh", "-c", "echo begin; read x; echo end $x"]);
        var id = started.GetProperty("id").GetString()!;
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"{Commands}/{id}/output?follow=true"))
        using (var response = await world.Owner.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.Equal("begin", await reader.ReadLineAsync());
        }

        using (var input = await world.Owner.PostAsync($"{Commands}/{id}/input?eof=true", new StringContent("ok\n")))
        {
            Assert.Equal(HttpStatusCode.OK, input.StatusCode);
        }
        var ended = await WaitEndedAsync(started);
        Assert.Equal(0, ended.GetProperty("exit_code").GetInt32());
        Assert.Equal("begin\nend ok\n", await OutputAsync(started));
    }

    [Fact]
    public async Task Stdin_round_trips_through_cat_and_eof_ends_it_after_which_input_is_409()
    {
        var started = await StartAsync(["cat"]);
        var id = started.GetProperty("id").GetString()!;

        using (var first = await world.Owner.PostAsync($"{Commands}/{id}/input", new ByteArrayContent("line one\n"u8.ToArray())))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        using (var last = await world.Owner.PostAsync($"{Commands}/{id}/input?eof=true", new StringContent("line two\n")))
        {
            Assert.Equal(HttpStatusCode.OK, last.StatusCode);
        }
        var ended = await WaitEndedAsync(started);

        Assert.Equal("exited", ended.GetProperty("status").GetString());
        Assert.Equal(0, ended.GetProperty("exit_code").GetInt32());
        Assert.Equal("line one\nline two\n", await OutputAsync(started));
        var problem = await ProblemAsync(await world.Owner.PostAsync($"{Commands}/{id}/input", new StringContent("late\n")), 409);
        Assert.Contains("ended", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Kill_ends_a_long_command_as_killed_and_a_second_kill_is_409()
    {
        var started = await StartAsync(["sleep", "600"]);
        var id = started.GetProperty("id").GetString()!;

        using (var killed = await world.Owner.PostAsync($"{Commands}/{id}/kill", null))
        {
            Assert.Equal(HttpStatusCode.OK, killed.StatusCode);
            Assert.Equal("killed", (await killed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        }

        Assert.Equal("killed", (await GetAsync(id)).GetProperty("status").GetString());
        var problem = await ProblemAsync(await world.Owner.PostAsync($"{Commands}/{id}/kill", null), 409);
        Assert.Contains("already ended (killed)", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_command_that_outlives_its_timeout_is_timed_out()
    {
        var started = await StartAsync(["sh", "-c", "echo waiting; sleep 600"], timeoutSeconds: 1);

        var ended = await WaitEndedAsync(started);

        Assert.Equal("timed_out", ended.GetProperty("status").GetString());
        Assert.Equal("waiting\n", await OutputAsync(started));
    }

    [Fact]
    public async Task Output_is_kept_bounded_the_first_and_the_last_part_with_a_marker()
    {
        // About 6 MiB of numbered lines; 64 KiB are kept at each end.
        var started = await StartAsync(["node", "-e", "for (let i = 0; i < 300000; i++) console.log('line ' + String(i).padStart(8, '0') + ' ' + 'x'.repeat(2));"]);
        var ended = await WaitEndedAsync(started);
        var output = await OutputAsync(started);

        Assert.True(ended.GetProperty("output_truncated").GetBoolean());
        Assert.True(ended.GetProperty("output_bytes").GetInt64() > 4 * 1024 * 1024);
        Assert.InRange(Encoding.UTF8.GetByteCount(output), 100 * 1024, 2 * 64 * 1024 + 200);
        Assert.StartsWith("line 00000000 xx\n", output);
        Assert.EndsWith("line 00299999 xx\n", output);
        Assert.Contains("bytes of output dropped", output);
    }

    [Fact]
    public async Task Commands_beyond_the_concurrency_limit_are_refused_with_429()
    {
        var sleepers = new List<JsonElement>();
        for (var i = 0; i < 3; i++)
        {
            sleepers.Add(await StartAsync(["sleep", "600"]));
        }
        var problem = await ProblemAsync(await world.Owner.PostAsJsonAsync(Commands, new { command = new[] { "true" } }), 429);
        Assert.Contains("MaxConcurrentPerSandbox", problem.GetProperty("detail").GetString());
        foreach (var sleeper in sleepers)
        {
            using var killed = await world.Owner.PostAsync($"{Commands}/{sleeper.GetProperty("id").GetString()}/kill", null);
            Assert.Equal(HttpStatusCode.OK, killed.StatusCode);
        }
    }

    [Fact]
    public async Task Bad_requests_are_400_problems_that_say_what_to_send()
    {
        foreach (var (body, expected) in new (object Body, string Expected)[]
        {
            (new { command = Array.Empty<string>() }, "argument list"),
            (new { command = new[] { "ls" }, cwd = "/app/../etc" }, ".."),
            (new { command = new[] { "ls" }, cwd = "/etc" }, "outside the workspace"),
            (new { command = new[] { "ls" }, env = new Dictionary<string, string> { ["BAD-NAME"] = "x" } }, "not a variable name"),
            (new { command = new[] { "ls" }, env = new Dictionary<string, string> { ["PATH"] = "/tmp" } }, "may not set PATH"),
            (new { command = new[] { "ls" }, timeout_seconds = 999999 }, "timeout_seconds"),
        })
        {
            var problem = await ProblemAsync(await world.Owner.PostAsJsonAsync(Commands, body), 400);
            Assert.Contains(expected, problem.GetProperty("detail").GetString());
        }
        await ProblemAsync(await world.Owner.GetAsync($"{Commands}/cmd_nosuchcommand"), 404);
    }

    [Fact]
    public async Task A_second_user_gets_404_on_every_commands_route_and_the_command_is_untouched()
    {
        var started = await StartAsync(["sleep", "600"]);
        var id = started.GetProperty("id").GetString()!;

        foreach (var (method, path) in new[]
        {
            (HttpMethod.Post, Commands), (HttpMethod.Get, Commands), (HttpMethod.Get, $"{Commands}/{id}"), (HttpMethod.Get, $"{Commands}/{id}/output"),
            (HttpMethod.Get, $"{Commands}/{id}/output?follow=true"), (HttpMethod.Post, $"{Commands}/{id}/input?eof=true"), (HttpMethod.Post, $"{Commands}/{id}/kill"),
        })
        {
            using var request = new HttpRequestMessage(method, path);
            if (method == HttpMethod.Post)
            {
                request.Content = JsonContent.Create(new { command = new[] { "touch", "/app/owned" } });
            }
            var problem = await ProblemAsync(await world.Stranger.SendAsync(request), 404);
            Assert.DoesNotContain(id, problem.ToString());
        }

        Assert.Equal("running", (await GetAsync(id)).GetProperty("status").GetString());
        using var killed = await world.Owner.PostAsync($"{Commands}/{id}/kill", null);
        Assert.Equal(HttpStatusCode.OK, killed.StatusCode);
    }

    [Fact]
    public async Task Started_and_exited_events_are_published_on_the_sandbox()
    {
        var started = await StartAsync(["sh", "-c", "exit 7"]);
        var id = started.GetProperty("id").GetString()!;
        await WaitEndedAsync(started);

        var events = (await world.Owner.GetFromJsonAsync<JsonElement>($"api/v1/events?after=0&limit=1000&sandbox_id={world.SandboxId}"))
            .GetProperty("events").EnumerateArray().Where(e => e.GetProperty("payload").TryGetProperty("command_id", out var c) && c.GetString() == id).ToList();

        Assert.Equal(["COMMAND_STARTED", "COMMAND_EXITED"], events.Select(e => e.GetProperty("type").GetString()));
        Assert.Equal("/app", events[0].GetProperty("payload").GetProperty("cwd").GetString());
        Assert.Equal("sh", events[0].GetProperty("payload").GetProperty("command")[0].GetString());
        Assert.Equal(7, events[1].GetProperty("payload").GetProperty("exit_code").GetInt32());
        Assert.Equal("exited", events[1].GetProperty("payload").GetProperty("status").GetString());
        Assert.True(events[1].GetProperty("payload").TryGetProperty("duration_ms", out _));
        var strangers = await world.Stranger.GetFromJsonAsync<JsonElement>($"api/v1/events?after=0&limit=1000");
        Assert.DoesNotContain(strangers.GetProperty("events").EnumerateArray(), e => e.GetProperty("type").GetString()!.StartsWith("COMMAND_", StringComparison.Ordinal));
    }

    private async Task<JsonElement> StartAsync(string[] command, string? cwd = null, Dictionary<string, string>? env = null, int? timeoutSeconds = null)
    {
        using var response = await world.Owner.PostAsJsonAsync(Commands, new { command, cwd, env, timeout_seconds = timeoutSeconds });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private Task<JsonElement> GetAsync(string id) => world.Owner.GetFromJsonAsync<JsonElement>($"{Commands}/{id}");

    private Task<string> OutputAsync(JsonElement command) => world.Owner.GetStringAsync($"{Commands}/{command.GetProperty("id").GetString()}/output");

    private async Task<JsonElement> WaitEndedAsync(JsonElement command)
    {
        var id = command.GetProperty("id").GetString()!;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            var current = await GetAsync(id);
            if (current.GetProperty("status").GetString() != "running")
            {
                return current;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"Command {id} still running.");
    }

    internal static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, int status)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            return JsonDocument.Parse(body).RootElement.Clone();
        }
    }
}
