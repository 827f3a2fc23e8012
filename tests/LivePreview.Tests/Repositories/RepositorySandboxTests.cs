using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using LivePreview.Persistence;
using LivePreview.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace LivePreview.Tests.Repositories;

/// <summary>Sandboxes made from real git repositories: clone, detection, a dependency layer installed by npm in a sandbox, the repository's own dev server.</summary>
[Collection(ServiceCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RepositorySandboxTests : IAsyncLifetime
{
    private readonly TestRepositories _repos = new();
    private LivePreviewHost _host = null!;

    private Dictionary<string, string?> Settings => new() { ["LivePreview:Git:AllowedRemotes:0"] = _repos.Root + "/" };

    public async Task InitializeAsync() => _host = await LivePreviewHost.StartAsync(Settings);

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _repos.Dispose();
    }

    [Fact]
    public async Task A_repository_becomes_a_sandbox_serving_its_own_page_and_a_second_one_reuses_the_dependency_layer_also_after_a_restart()
    {
        var repo = _repos.FromTemplate("shop", "Repository Shop 4711", tree =>
        {
            File.WriteAllText(Path.Join(tree, ".gitattributes"), "*.tsx filter=evil\n");
            File.CreateSymbolicLink(Path.Join(tree, "secret"), "/etc/shadow");
        });
        _repos.Arm(repo);

        var first = await CreateAsync(new { repository = new { url = repo, branch = "main" } });
        Assert.Equal("creating", first.GetProperty("status").GetString());
        Assert.Equal(repo, first.GetProperty("repository").GetProperty("url").GetString());
        Assert.Equal(40, first.GetProperty("repository").GetProperty("commit").GetString()!.Length);
        var app = first.GetProperty("app");
        Assert.Equal("react-vite", app.GetProperty("framework").GetString());
        Assert.Equal("npm", app.GetProperty("package_manager").GetString());
        Assert.Equal(5173, app.GetProperty("port").GetInt32());
        Assert.Contains(app.GetProperty("reasons").EnumerateArray(), r => r.GetString()!.Contains("package-lock.json", StringComparison.Ordinal));
        var firstId = first.GetProperty("id").GetString()!;

        var ready = await WaitForStatusAsync(firstId, "running");
        Assert.False(ready.GetProperty("dependencies").GetProperty("reused").GetBoolean());
        Assert.True(ready.GetProperty("dependencies").GetProperty("install_ms").GetInt64() > 0);
        Assert.Contains("<title>Repository Shop 4711</title>", await PageAsync(firstId));
        Assert.Equal(["SANDBOX_CREATING", "REPOSITORY_CLONED", "APP_DETECTED", "DEPENDENCIES_INSTALLING", "DEPENDENCIES_READY", "SANDBOX_CREATED"],
            (await EventTypesAsync(firstId)).Where(t => t.StartsWith("SANDBOX_", StringComparison.Ordinal) || t.StartsWith("REPOSITORY_", StringComparison.Ordinal)
                || t.StartsWith("APP_", StringComparison.Ordinal) || t is "DEPENDENCIES_INSTALLING" or "DEPENDENCIES_READY"));

        // The link is the repository's own: committed as a link, never followed by the host; inside it leads to nothing readable.
        using (var secret = await _host.Http.GetAsync($"api/v1/sandboxes/{firstId}/files/secret"))
        {
            Assert.NotEqual(HttpStatusCode.OK, secret.StatusCode);
            Assert.DoesNotContain("root:", await secret.Content.ReadAsStringAsync());
        }
        Assert.False(File.Exists(_repos.Marker), "a hook, filter or fsmonitor of the repository ran on the host");

        var second = await CreateAsync(new { repository = new { url = repo } });
        var secondId = second.GetProperty("id").GetString()!;
        var reused = await WaitForStatusAsync(secondId, "running");
        Assert.True(reused.GetProperty("dependencies").GetProperty("reused").GetBoolean());
        Assert.Equal(0, reused.GetProperty("dependencies").GetProperty("install_ms").GetInt64());
        Assert.Equal(ready.GetProperty("dependencies").GetProperty("layer").GetString(), reused.GetProperty("dependencies").GetProperty("layer").GetString());
        Assert.Contains("<title>Repository Shop 4711</title>", await PageAsync(secondId));

        var dataDirectory = _host.DataDirectory;
        await _host.App.StopAsync();
        await _host.App.DisposeAsync();
        _host = await LivePreviewHost.StartAsync(Settings, dataDirectory);
        Assert.Contains("<title>Repository Shop 4711</title>", await PageAsync(secondId));

        Assert.Equal(HttpStatusCode.NoContent, (await _host.Http.DeleteAsync($"api/v1/sandboxes/{firstId}")).StatusCode);
        Assert.False(Directory.Exists(Path.Join(dataDirectory, "sources", firstId)));
        Assert.False(File.Exists(Path.Join(dataDirectory, "sources", firstId + ".json")));
        Assert.True(Directory.Exists(Path.Join(dataDirectory, "sources", secondId)));
        // The checkout's manifest beside it: the provider hands the layer to the sandbox user once, not at every attach.
        Assert.Contains(ready.GetProperty("repository").GetProperty("commit").GetString()!,
            File.ReadAllText(Path.Join(dataDirectory, "sources", secondId + ".json")));
        Assert.False(File.Exists(_repos.Marker), "a hook, filter or fsmonitor of the repository ran on the host");
    }

    [Fact]
    public async Task A_restart_into_path_mode_starts_the_repository_dev_server_under_its_new_base_path()
    {
        var repo = _repos.FromTemplate("modes", "Modes 5501");
        var id = (await CreateAsync(new { repository = new { url = repo } })).GetProperty("id").GetString()!;
        await WaitForStatusAsync(id, "running");
        Assert.Contains("<title>Modes 5501</title>", await PageAsync(id));

        var dataDirectory = _host.DataDirectory;
        await _host.App.StopAsync();
        await _host.App.DisposeAsync();
        _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>(Settings) { ["LivePreview:Previews:Mode"] = "Path" }, dataDirectory);

        var preview = await _host.WaitForPreviewAsync(id);
        var url = preview.GetProperty("preview_url").GetString()!;
        var basePath = new Uri(url).AbsolutePath;
        Assert.NotEqual("/", basePath);
        using var page = await _host.Http.GetAsync(url);
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"{(int)page.StatusCode}: {html}");
        Assert.Contains("<title>Modes 5501</title>", html);
        // Vite was told the new base: its client script is served under it.
        Assert.Contains($"{basePath}@vite/client", html);
        var sandbox = await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{id}");
        Assert.Equal("running", sandbox.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Port_detection_covers_a_repository_sandbox_of_any_framework_on_its_own_port()
    {
        // Framework "vite" (no template of that name) on a port of the request's choosing: the dev server's port is
        // known from the sandbox's stored plan, not from a template, so it is its own preview and other ports are watched.
        var repo = _repos.FromTemplate("ports", "Ports 9021");
        var id = (await CreateAsync(new { repository = new { url = repo }, framework = "vite", app = new { port = 4321 } })).GetProperty("id").GetString()!;
        await WaitForStatusAsync(id, "running");
        Assert.Contains("<title>Ports 9021</title>", await PageAsync(id));
        var devPreview = (await _host.WaitForPreviewAsync(id)).GetProperty("id").GetString()!;

        var dev = await WaitForPortEventAsync(id, "PORT_OPENED", 4321);
        Assert.True(dev.GetProperty("reachable").GetBoolean());
        Assert.Equal(devPreview, dev.GetProperty("preview_id").GetString());

        using var started = await _host.Http.PostAsJsonAsync($"api/v1/sandboxes/{id}/commands",
            new { command = new[] { "node", "-e", "require('http').createServer((q, s) => s.end('api 9021')).listen(3001, '0.0.0.0')" } });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var api = await WaitForPortEventAsync(id, "PORT_OPENED", 3001);
        var apiPreview = api.GetProperty("preview_id").GetString()!;
        Assert.NotEqual(devPreview, apiPreview);
        // Listed as soon as the event is out: whoever reacts to PORT_OPENED finds the port.
        var ports = (await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{id}/ports")).EnumerateArray().ToList();
        Assert.Contains(ports, p => p.GetProperty("port").GetInt32() == 3001);
        Assert.Contains(ports, p => p.GetProperty("port").GetInt32() == 4321);
        var sandbox = await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{id}");
        Assert.Single(sandbox.GetProperty("previews").EnumerateArray(), p => p.GetProperty("port").GetInt32() == 4321);
    }

    [Fact]
    public async Task Bad_requests_are_refused_with_what_to_do_and_leave_no_sandbox()
    {
        var repo = _repos.FromTemplate("plain", "Plain");
        var refused = await ProblemAsync(new { repository = new { url = "/etc/" } }, 400);
        Assert.Contains("AllowedRemotes", refused, StringComparison.Ordinal);
        Assert.Contains("check-ref-format", await ProblemAsync(new { repository = new { url = repo, branch = "-x" } }, 400), StringComparison.Ordinal);
        Assert.Contains("check-ref-format", await ProblemAsync(new { repository = new { url = repo, branch = "a..b" } }, 400), StringComparison.Ordinal);
        Assert.Contains("repository", await ProblemAsync(new { framework = "react-vite", app = new { port = 3000 } }, 400), StringComparison.Ordinal);
        Assert.Contains("package_manager", await ProblemAsync(new { repository = new { url = repo }, app = new { package_manager = "maven" } }, 400), StringComparison.Ordinal);
        Assert.Contains("Could not clone", await ProblemAsync(new { repository = new { url = repo, branch = "no-such-branch" } }, 422), StringComparison.Ordinal);
        Assert.Empty(await _host.Http.GetFromJsonAsync<JsonElement[]>("api/v1/sandboxes") ?? []);
        Assert.Empty(Directory.Exists(Path.Join(_host.DataDirectory, "sources")) ? Directory.EnumerateFileSystemEntries(Path.Join(_host.DataDirectory, "sources")) : []);
    }

    [Fact]
    public async Task A_repository_without_a_package_json_of_its_own_is_a_422_and_a_linked_one_is_never_read()
    {
        // A package.json the host could read if it followed links: a valid Vite app, outside the repository.
        var outside = Path.Join(_repos.Root, "outside-package.json");
        File.Copy(Path.Join(LivePreviewHost.RepositoryRoot, "templates", "react-vite", "package.json"), outside);
        var repo = _repos.FromTemplate("linked", "Linked", tree =>
        {
            File.Delete(Path.Join(tree, "package.json"));
            File.CreateSymbolicLink(Path.Join(tree, "package.json"), outside);
        });
        Assert.Contains("package.json", await ProblemAsync(new { repository = new { url = repo } }, 422), StringComparison.Ordinal);
        var empty = _repos.FromTemplate("docs-only", "Docs", tree => File.Delete(Path.Join(tree, "package.json")));
        Assert.Contains("package.json", await ProblemAsync(new { repository = new { url = empty } }, 422), StringComparison.Ordinal);
        Assert.Empty(await _host.Http.GetFromJsonAsync<JsonElement[]>("api/v1/sandboxes") ?? []);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Join(_host.DataDirectory, "sources")));
    }

    [Fact]
    public async Task An_install_that_fails_puts_the_sandbox_in_error_with_what_npm_said()
    {
        const string missing = "livepreview-no-such-package-4711";
        var repo = _repos.FromTemplate("broken", "Broken", tree =>
        {
            var package = JsonNode.Parse(File.ReadAllText(Path.Join(tree, "package.json")))!;
            package["dependencies"]![missing] = "1.0.0";
            File.WriteAllText(Path.Join(tree, "package.json"), package.ToJsonString());
            var lockFile = JsonNode.Parse(File.ReadAllText(Path.Join(tree, "package-lock.json")))!;
            lockFile["packages"]![""]!["dependencies"]![missing] = "1.0.0";
            lockFile["packages"]![$"node_modules/{missing}"] = new JsonObject
            {
                ["version"] = "1.0.0",
                ["resolved"] = $"https://registry.npmjs.org/{missing}/-/{missing}-1.0.0.tgz",
                ["integrity"] = "sha512-" + Convert.ToBase64String(new byte[64]),
            };
            File.WriteAllText(Path.Join(tree, "package-lock.json"), lockFile.ToJsonString());
        });
        var id = (await CreateAsync(new { repository = new { url = repo } })).GetProperty("id").GetString()!;
        var failed = await WaitForStatusAsync(id, "error");
        var error = failed.GetProperty("error").GetString()!;
        Assert.Contains("npm ci failed", error, StringComparison.Ordinal);
        Assert.Contains("npm error", error, StringComparison.Ordinal);
        Assert.Contains(await EventTypesAsync(id), t => t == "SANDBOX_FAILED");
    }

    private async Task<JsonElement> CreateAsync(object request)
    {
        using var response = await _host.Http.PostAsJsonAsync("api/v1/sandboxes", request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private async Task<string> ProblemAsync(object request, int status)
    {
        using var response = await _host.Http.PostAsJsonAsync("api/v1/sandboxes", request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString()!;
    }

    private async Task<JsonElement> WaitForStatusAsync(string id, string status)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            last = await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{id}");
            var current = last.GetProperty("status").GetString();
            if (current == status)
            {
                return last;
            }
            Assert.False(current == "error", $"Sandbox failed: {last}");
            await Task.Delay(250);
        }
        throw new TimeoutException($"Sandbox {id} not {status} in time; last: {last}");
    }

    private async Task<string> PageAsync(string sandboxId)
    {
        var url = (await _host.WaitForPreviewAsync(sandboxId)).GetProperty("preview_url").GetString()!;
        using var page = await _host.Http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        return await page.Content.ReadAsStringAsync();
    }

    private async Task<JsonElement> WaitForPortEventAsync(string sandboxId, string type, int port)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var page = await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/events?after=0&sandbox_id={sandboxId}&types={type}&limit=500");
            if (page.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("payload")).LastOrDefault(p => p.GetProperty("port").GetInt32() == port)
                is { ValueKind: JsonValueKind.Object } found)
            {
                return found;
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"No {type} for port {port} of sandbox {sandboxId}.");
    }

    private async Task<List<string>> EventTypesAsync(string sandboxId)
    {
        await using var db = await _host.Service<IDbContextFactory<LivePreviewDbContext>>().CreateDbContextAsync();
        return await db.Events.Where(e => e.SandboxId == sandboxId).OrderBy(e => e.Sequence).Select(e => e.Type).ToListAsync();
    }
}
