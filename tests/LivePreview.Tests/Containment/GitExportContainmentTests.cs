using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Sandboxes;
using LivePreview.Sandboxes.Local;
using LivePreview.Tests.Hosting;
using LivePreview.Tests.Sandboxes;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Containment;

/// <summary>
/// A hostile sandbox plants git hooks and an fsmonitor command in its own repository, from a process inside it, and asks
/// for exports that would make the host run them; an allowed local bare repository's own hooks stay off too.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class GitExportContainmentTests : IAsyncLifetime
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("livepreview-git-containment-").FullName;
    private readonly string _marker = Path.Join(Path.GetTempPath(), $"livepreview-hook-ran-{Guid.NewGuid():N}");
    private LivePreviewHost _host = null!;

    // Every local path is "allowed" here: the data directory must stay refused even so.
    public async Task InitializeAsync() => _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
    {
        ["LivePreview:Git:AllowedRemotes:0"] = "/",
        ["LivePreview:Git:AllowedRemotes:1"] = "file:///",
        ["LivePreview:Prototypes:MaxExportBytes"] = "2000000",
    });

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(_scratch, recursive: true);
        File.Delete(_marker);
    }

    [Fact]
    public async Task A_sandbox_that_plants_hooks_cannot_have_its_own_or_another_sandboxs_workspace_be_the_export_remote()
    {
        var (id, sandboxId) = await StartSessionAsync();
        var other = (await _host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        var seen = await PlantHooksAsync(sandboxId);
        // mountinfo no longer tells the sandbox where its layers are on the host; the attacker guesses instead.
        Assert.DoesNotContain(_host.DataDirectory, seen, StringComparison.Ordinal);
        var upper = new SandboxLayout(Path.Join(_host.DataDirectory, "sandboxes"), sandboxId).Upper;
        Assert.True(File.Exists(Path.Join(upper, ".git", "hooks", "pre-receive")), upper);

        var merged = Path.Join(_host.DataDirectory, "sandboxes", sandboxId, "merged");
        var link = Path.Join(_scratch, "innocent.git");
        Directory.CreateSymbolicLink(link, merged);
        string[] remotes =
        [
            upper, merged, "file://" + upper, "file://" + merged, Path.Join(merged, ".git"), link, "file://" + link,
            new SandboxLayout(Path.Join(_host.DataDirectory, "sandboxes"), other).Upper, Path.Join(_host.DataDirectory, "sandboxes", other, "merged"),
        ];
        foreach (var remote in remotes)
        {
            var problem = await ApiValidationTests.ProblemAsync(await ExportAsync(id, remote, "stolen"), 400);
            Assert.Contains("No setting allows", problem.GetProperty("detail").GetString());
        }
        Assert.False(File.Exists(_marker), "a hook planted by the sandbox ran on the host");

        var bare = await BareRepositoryAsync();
        Assert.Equal(HttpStatusCode.OK, (await ExportAsync(id, bare, "still-works")).StatusCode);
        Assert.False(File.Exists(_marker), "a hook planted by the sandbox ran on the host");
        await _host.Http.DeleteAsync($"api/v1/prototype/session/{id}");
    }

    [Fact]
    public async Task An_allowed_local_bare_repository_gets_the_push_without_running_its_own_hooks()
    {
        var (id, _) = await StartSessionAsync();
        var bare = await BareRepositoryAsync();
        var hooks = Directory.CreateDirectory(Path.Join(_scratch, "configured-hooks")).FullName;
        foreach (var folder in new[] { Path.Join(bare, "hooks"), hooks })
        {
            foreach (var hook in new[] { "pre-receive", "update", "post-receive", "post-update", "reference-transaction", "proc-receive", "push-to-checkout" })
            {
                await WriteHookAsync(Path.Join(folder, hook));
            }
        }
        await SandboxLifecycleTests.RunAsync("git", "-C", bare, "config", "core.hooksPath", hooks);
        await SandboxLifecycleTests.RunAsync("git", "-C", bare, "config", "core.fsmonitor", $"touch {_marker}");

        var export = await ExportAsync(id, bare, "prototype/hooks-off");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        var sha = (await export.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("commit_sha").GetString();
        Assert.Equal(sha, (await SandboxLifecycleTests.RunAsync("git", "-C", bare, "rev-parse", "prototype/hooks-off")).Trim());
        Assert.False(File.Exists(_marker), "a hook of the target repository ran on the host");
        await _host.Http.DeleteAsync($"api/v1/prototype/session/{id}");
    }

    [Fact]
    public async Task A_sandbox_that_breaks_its_own_git_gets_a_409_saying_so_with_gits_output()
    {
        var (id, sandboxId) = await StartSessionAsync();
        await RunInSandboxAsync(sandboxId, "git init -q -b main && printf 'not an index' > .git/index");
        var problem = await ApiValidationTests.ProblemAsync(await ExportAsync(id, await BareRepositoryAsync(), "a"), 409);
        Assert.Contains("sandbox's own git failed", problem.GetProperty("detail").GetString());
        Assert.Contains("index", problem.GetProperty("detail").GetString());
        await _host.Http.DeleteAsync($"api/v1/prototype/session/{id}");
    }

    [Fact]
    public async Task A_sandbox_whose_history_outgrows_the_export_limit_gets_a_413()
    {
        var (id, sandboxId) = await StartSessionAsync();
        await RunInSandboxAsync(sandboxId, "cd /app && head -c 3000000 /dev/urandom > noise.bin");
        var problem = await ApiValidationTests.ProblemAsync(await ExportAsync(id, await BareRepositoryAsync(), "too-big"), 413);
        Assert.Contains("LivePreview:Prototypes:MaxExportBytes", problem.GetProperty("detail").GetString());
        await _host.Http.DeleteAsync($"api/v1/prototype/session/{id}");
    }

    /// <summary>As an attacker would: a process in the sandbox writes the hooks and looks for its host path in mountinfo (returns what it found).</summary>
    private async Task<string> PlantHooksAsync(string sandboxId)
    {
        var hook = $"#!/bin/sh\ntouch {_marker}\n";
        var script = "set -e; cd /app; git init -q -b main; printf 'node_modules/\\n.vite/\\n.livepreview/\\n' > .git/info/exclude; "
            + "for h in pre-receive update post-receive post-update reference-transaction post-checkout post-merge; do "
            + $"printf '%s' '{hook}' > .git/hooks/$h; chmod +x .git/hooks/$h; done; "
            + $"git config core.fsmonitor 'touch {_marker}'; "
            + "sed -n 's/.*upperdir=\\([^,]*\\).*/\\1/p' /proc/self/mountinfo | head -1";
        return (await RunInSandboxAsync(sandboxId, script)).Trim();
    }

    private async Task<string> RunInSandboxAsync(string sandboxId, string script)
    {
        var result = await _host.Service<ISandboxProvider>().RunCommandAsync(sandboxId, new SandboxProcessSpec(["sh", "-c", script]),
            TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.True(result.ExitCode == 0, result.Output);
        return result.Output;
    }

    private Task<HttpResponseMessage> ExportAsync(string id, string remote, string branch) =>
        _host.Http.PostAsJsonAsync($"api/v1/prototype/session/{id}/export", new { repo_url = remote, branch });

    private async Task<(string Id, string SandboxId)> StartSessionAsync()
    {
        var response = await _host.Http.PostAsJsonAsync("api/v1/prototype/session", new { framework = "react-vite", agent = "replay" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var session = await response.Content.ReadFromJsonAsync<JsonElement>();
        var sandboxId = session.GetProperty("sandbox_id").GetString()!;
        await _host.WaitForPreviewAsync(sandboxId);
        return (session.GetProperty("id").GetString()!, sandboxId);
    }

    private async Task<string> BareRepositoryAsync()
    {
        var bare = Path.Join(_scratch, $"remote-{Guid.NewGuid():N}.git");
        await SandboxLifecycleTests.RunAsync("git", "init", "-q", "--bare", bare);
        return bare;
    }

    private async Task WriteHookAsync(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, $"#!/bin/sh\ntouch {_marker}\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
