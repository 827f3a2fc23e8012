using System.Diagnostics;
using LivePreview.Git;
using LivePreview.Hosting;
using LivePreview.Snapshots;
using LivePreview.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LivePreview.Tests.Git;

/// <summary>
/// The git smart-HTTP test server against real git clients: a corpus app cloned over http and https, a branch pushed back
/// by <see cref="HostGit.PushAsync"/> with the per-host credential of <c>LivePreview:Git:Credentials</c> (sent over https
/// only, never over plain http), and requests without the credential refused.
/// </summary>
public sealed class GitHttpServerTests : IDisposable
{
    private const string User = "corpus-bot";
    private const string Token = "token-for-the-test-server";
    private readonly string _work = Directory.CreateTempSubdirectory("lp-git-http-test-").FullName;

    private static string App(string name) => Path.Combine(LivePreviewHost.RepositoryRoot, "tests", "corpus", name);

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task A_corpus_app_clones_over_http_and_host_git_pushes_a_branch_back()
    {
        await using var server = await GitHttpServer.StartAsync();
        var url = server.AddRepositoryFrom(App("vite-vanilla"), "vite-vanilla");

        var clone = Path.Join(_work, "clone");
        Client(null, "clone", "--quiet", url, clone);
        Assert.Equal(File.ReadAllText(Path.Join(App("vite-vanilla"), "package.json")), File.ReadAllText(Path.Join(clone, "package.json")));
        Assert.Equal("main", Client(clone, "rev-parse", "--abbrev-ref", "HEAD").Trim());
        Assert.False(Directory.Exists(Path.Join(clone, "node_modules")));

        var commit = CommitOnBranch(clone, "livepreview/task-1");
        var (git, policy) = HostGitFor(server, credential: false);
        using (git)
        {
            var remote = await policy.CheckAsync(url, CancellationToken.None);
            Assert.Equal(GitTransport.Http, remote.Transport);
            var pushed = await git.PushAsync(clone, remote, ["livepreview/task-1:refs/heads/livepreview/task-1"], CancellationToken.None);
            Assert.True(pushed.ExitCode == 0, pushed.Combined);
        }

        Assert.Equal(commit, server.Git(server.PathOf("vite-vanilla"), "rev-parse", "refs/heads/livepreview/task-1").Trim());
        Assert.Contains(server.Requests, r => r is { Method: "POST", Path: "/vite-vanilla.git/git-receive-pack", Status: 200 });
        Assert.Contains(server.Requests, r => r is { Method: "POST", Path: "/vite-vanilla.git/git-upload-pack", Status: 200 });
    }

    [Fact]
    public async Task Over_https_a_server_that_requires_basic_auth_gets_the_configured_credential_from_host_git_and_refuses_others()
    {
        await using var server = await GitHttpServer.StartAsync(https: true, credential: (User, Token));
        var url = server.AddRepositoryFrom(App("sveltekit-minimal"), "sveltekit-minimal");
        Assert.StartsWith("https://127.0.0.1:", url, StringComparison.Ordinal);

        // Without a credential: 401, and git gives up (no prompt).
        var anonymous = Path.Join(_work, "anonymous");
        var refused = Assert.Throws<InvalidOperationException>(() => ClientWith(null, server.CaCertificatePath, null, "clone", "--quiet", url, anonymous));
        Assert.Contains("could not read Username", refused.Message, StringComparison.Ordinal);
        Assert.Contains(server.Requests, r => r.Status == 401 && !r.SentAuthorization);

        var clone = Path.Join(_work, "clone");
        ClientWith(null, server.CaCertificatePath, (User, Token), "clone", "--quiet", url, clone);
        Assert.True(File.Exists(Path.Join(clone, "vite.config.ts")));
        Assert.True(File.Exists(Path.Join(clone, "package-lock.json")));

        var commit = CommitOnBranch(clone, "livepreview/task-2");
        var (git, policy) = HostGitFor(server, credential: true);
        using (git)
        {
            var remote = await policy.CheckAsync(url, CancellationToken.None);
            var pushed = await git.PushAsync(clone, remote, ["livepreview/task-2:refs/heads/livepreview/task-2"], CancellationToken.None);
            Assert.True(pushed.ExitCode == 0, pushed.Combined);
            Assert.DoesNotContain(Token, pushed.Combined, StringComparison.Ordinal);
        }

        Assert.Equal(commit, server.Git(server.PathOf("sveltekit-minimal"), "rev-parse", "refs/heads/livepreview/task-2").Trim());
        Assert.Contains(server.Requests, r => r is { Method: "POST", Path: "/sveltekit-minimal.git/git-receive-pack", Status: 200, User: User });
    }

    [Fact]
    public async Task Over_plain_http_host_git_never_sends_the_credential_so_a_server_that_requires_one_refuses_the_push()
    {
        await using var server = await GitHttpServer.StartAsync(https: false, credential: (User, Token));
        var url = server.AddRepositoryFrom(App("vite-lit"), "vite-lit");
        var clone = Path.Join(_work, "clone");
        ClientWith(null, null, (User, Token), "clone", "--quiet", url, clone);
        CommitOnBranch(clone, "livepreview/task-3");
        var before = server.Requests.Count;

        var (git, policy) = HostGitFor(server, credential: true);
        using (git)
        {
            var remote = await policy.CheckAsync(url, CancellationToken.None);
            var pushed = await git.PushAsync(clone, remote, ["livepreview/task-3:refs/heads/livepreview/task-3"], CancellationToken.None);
            Assert.NotEqual(0, pushed.ExitCode);
        }

        var attempts = server.Requests.Skip(before).ToList();
        Assert.NotEmpty(attempts);
        Assert.All(attempts, r => Assert.False(r.SentAuthorization));
        Assert.All(attempts, r => Assert.Equal(401, r.Status));
        Assert.Throws<InvalidOperationException>(() => server.Git(server.PathOf("vite-lit"), "rev-parse", "--verify", "refs/heads/livepreview/task-3"));
    }

    private (HostGit Git, GitRemotePolicy Policy) HostGitFor(GitHttpServer server, bool credential)
    {
        var options = new GitOptions
        {
            AllowedRemotes = [server.BaseUrl.ToString()],
            CaCertificates = server.CaCertificatePath,
            Credentials = credential ? [new GitCredential { Host = $"127.0.0.1:{server.BaseUrl.Port}", Username = User, Token = Token }] : [],
            Timeout = TimeSpan.FromSeconds(60),
        };
        var monitor = new Containment.FixedMonitor<GitOptions>(options);
        var policy = new GitRemotePolicy(monitor, Options.Create(new LivePreviewOptions { DataDirectory = Path.Join(_work, "data") }), Options.Create(new SnapshotOptions()));
        return (new HostGit(monitor, NullLogger<HostGit>.Instance), policy);
    }

    private string CommitOnBranch(string clone, string branch)
    {
        Client(clone, "checkout", "--quiet", "-b", branch);
        File.AppendAllText(Path.Join(clone, "README.md"), "\nChanged by a task.\n");
        Client(clone, "add", "README.md");
        Client(clone, "commit", "--quiet", "--no-verify", "-m", "A task's change");
        return Client(clone, "rev-parse", "HEAD").Trim();
    }

    private string Client(string? repository, params string[] arguments) => ClientWith(repository, null, null, arguments);

    /// <summary>A plain git client with a clean environment; a credential travels as a header in the environment, never in argv.</summary>
    private string ClientWith(string? repository, string? caFile, (string User, string Token)? credential, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false, WorkingDirectory = _work };
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/bin:/bin";
        start.Environment["HOME"] = _work;
        start.Environment["LANG"] = "C";
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        start.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        start.Environment["GIT_CEILING_DIRECTORIES"] = _work;
        start.Environment["GIT_AUTHOR_NAME"] = start.Environment["GIT_COMMITTER_NAME"] = "Task";
        start.Environment["GIT_AUTHOR_EMAIL"] = start.Environment["GIT_COMMITTER_EMAIL"] = "task@livepreview.test";
        var config = new List<(string, string)> { ("core.hooksPath", "/dev/null"), ("credential.helper", "") };
        if (caFile is not null)
        {
            config.Add(("http.sslCAInfo", caFile));
        }
        if (credential is { } c)
        {
            config.Add(("http.extraHeader", "Authorization: Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{c.User}:{c.Token}"))));
        }
        start.Environment["GIT_CONFIG_COUNT"] = config.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 0; i < config.Count; i++)
        {
            start.Environment[$"GIT_CONFIG_KEY_{i}"] = config[i].Item1;
            start.Environment[$"GIT_CONFIG_VALUE_{i}"] = config[i].Item2;
        }
        if (repository is not null)
        {
            start.ArgumentList.Add("-C");
            start.ArgumentList.Add(repository);
        }
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"git {string.Join(' ', arguments)} did not finish in 60 s.");
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed ({process.ExitCode}): {error.Result}");
        }
        return output;
    }
}
