using LivePreview.Git;
using LivePreview.Prototypes;
using LivePreview.Sandboxes;
using LivePreview.Tasks;
using LivePreview.Tests.Sandboxes;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Tasks;

/// <summary>
/// A task's branch leaves a real sandbox: committed there by the sandbox's own git, bundled inside it, pushed by the host
/// from a bare repository of its own to a local bare remote (allowed by LivePreview:Git:AllowedRemotes). Only that branch leaves.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class BranchPublisherTests(BranchPublisherTests.SandboxFixture fixture) : IClassFixture<BranchPublisherTests.SandboxFixture>
{
    private const string Branch = "livepreview/tk123";
    private readonly string _scratch = fixture.Scratch;
    private readonly LivePreviewHost _host = fixture.Host;
    private readonly string _sandboxId = fixture.SandboxId;
    private string _content = "";

    /// <summary>One service and one react-vite sandbox for the whole class: each test makes its own remote.</summary>
    public sealed class SandboxFixture : IAsyncLifetime
    {
        public string Scratch { get; } = Directory.CreateTempSubdirectory("livepreview-branch-push-").FullName;

        public LivePreviewHost Host { get; private set; } = null!;

        public string SandboxId { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Host = await LivePreviewHost.StartAsync(new Dictionary<string, string?> { ["LivePreview:Git:AllowedRemotes:0"] = Scratch + "/" });
            SandboxId = (await Host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
            await Host.WaitForPreviewAsync(SandboxId);
        }

        public async Task DisposeAsync()
        {
            await Host.Http.DeleteAsync($"api/v1/sandboxes/{SandboxId}");
            await Host.DisposeAsync();
            Directory.Delete(Scratch, recursive: true);
        }
    }

    [Fact]
    public async Task The_tasks_branch_is_pushed_with_its_commit_and_main_of_the_remote_stays_as_it_was()
    {
        var (remote, remoteMain) = await RemoteWithMainAsync();
        var commit = await CommitOnTaskBranchAsync();

        var pushed = await Publisher.PushAsync(_sandboxId, Branch, remote, CancellationToken.None);

        Assert.Equal(commit, pushed);
        var log = await SandboxLifecycleTests.RunAsync("git", "-C", remote, "log", "--format=%H %s", Branch);
        Assert.StartsWith($"{commit} Task tk123: a dark mode", log);
        Assert.Equal(_content, await SandboxLifecycleTests.RunAsync("git", "-C", remote, "show", $"{Branch}:src/task.txt"));
        var refs = (await SandboxLifecycleTests.RunAsync("git", "-C", remote, "for-each-ref", "--format=%(refname) %(objectname)")).Trim().Split('\n');
        Assert.Equal([$"refs/heads/{Branch} {commit}", $"refs/heads/main {remoteMain}"], refs.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("-f")]
    [InlineData("--all")]
    [InlineData("main:refs/heads/main")]
    [InlineData("+main")]
    [InlineData("a..b")]
    [InlineData("livepreview/../main")]
    [InlineData("a b")]
    [InlineData("x;touch /tmp/pwned")]
    [InlineData("main~1")]
    [InlineData("@{-1}")]
    [InlineData("feature\n")]
    [InlineData("")]
    public async Task A_hostile_branch_name_is_refused_before_anything_runs(string branch)
    {
        var (remote, _) = await RemoteWithMainAsync();
        var error = await Assert.ThrowsAsync<GitPushException>(() => Publisher.PushAsync(_sandboxId, branch, remote, CancellationToken.None));
        Assert.Equal(400, error.Status);
        Assert.Single((await SandboxLifecycleTests.RunAsync("git", "-C", remote, "for-each-ref")).Trim().Split('\n'));
    }

    [Fact]
    public async Task A_branch_that_is_really_main_under_another_name_lands_under_that_name_and_main_stays()
    {
        var (remote, remoteMain) = await RemoteWithMainAsync();
        var commit = await CommitOnTaskBranchAsync();
        // The sandbox's own git makes "livepreview/evil" a symbolic ref to its main (which it also moves to the task's commit).
        await RunInSandboxAsync("cd /app && git checkout -q main && git reset -q --hard " + commit + " && git symbolic-ref refs/heads/livepreview/evil refs/heads/main");

        var pushed = await Publisher.PushAsync(_sandboxId, "livepreview/evil", remote, CancellationToken.None);

        Assert.Equal(commit, pushed);
        var refs = (await SandboxLifecycleTests.RunAsync("git", "-C", remote, "for-each-ref", "--format=%(refname) %(objectname)")).Trim().Split('\n');
        Assert.Equal([$"refs/heads/livepreview/evil {commit}", $"refs/heads/main {remoteMain}"], refs.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_branch_the_sandbox_does_not_have_and_a_remote_the_policy_refuses_are_errors()
    {
        var (remote, _) = await RemoteWithMainAsync();
        await _host.Service<SandboxGit>().EnsureRepositoryAsync(_sandboxId, CancellationToken.None);
        await Assert.ThrowsAsync<GitException>(() => Publisher.PushAsync(_sandboxId, "livepreview/none", remote, CancellationToken.None));

        var outside = Directory.CreateTempSubdirectory("livepreview-not-allowed-").FullName;
        try
        {
            await SandboxLifecycleTests.RunAsync("git", "init", "-q", "--bare", outside);
            await Assert.ThrowsAsync<GitRemoteRefusedException>(() => Publisher.PushAsync(_sandboxId, Branch, outside, CancellationToken.None));
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    private BranchPublisher Publisher => _host.Service<BranchPublisher>();

    /// <summary>The sandbox's git: a first commit on main, then the task's branch with one change.</summary>
    private async Task<string> CommitOnTaskBranchAsync()
    {
        // The sandbox is shared by the class: each commit writes something new.
        _content = $"dark {Guid.NewGuid():N}\n";
        var git = _host.Service<SandboxGit>();
        await git.EnsureRepositoryAsync(_sandboxId, CancellationToken.None);
        await git.CommitAllAsync(_sandboxId, "Initial", allowEmpty: true, CancellationToken.None);
        await git.SwitchToNewBranchAsync(_sandboxId, Branch, CancellationToken.None);
        await _host.Service<ISandboxProvider>().Files(_sandboxId).WriteAsync("src/task.txt", new MemoryStream(System.Text.Encoding.UTF8.GetBytes(_content)), CancellationToken.None);
        return (await git.CommitAllAsync(_sandboxId, "Task tk123: a dark mode", allowEmpty: false, CancellationToken.None))!.Sha;
    }

    /// <summary>A bare remote whose main already has a commit of its own (made on the host, not by the sandbox).</summary>
    private async Task<(string Remote, string Main)> RemoteWithMainAsync()
    {
        var remote = Path.Join(_scratch, $"remote-{Guid.NewGuid():N}.git");
        var seed = Path.Join(_scratch, $"seed-{Guid.NewGuid():N}");
        await SandboxLifecycleTests.RunAsync("git", "init", "-q", "--bare", remote);
        await SandboxLifecycleTests.RunAsync("git", "init", "-q", "-b", "main", seed);
        await SandboxLifecycleTests.RunAsync("git", "-C", seed, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "--allow-empty", "-m", "Upstream");
        await SandboxLifecycleTests.RunAsync("git", "-C", seed, "push", "-q", remote, "main");
        return (remote, (await SandboxLifecycleTests.RunAsync("git", "-C", remote, "rev-parse", "main")).Trim());
    }

    private async Task RunInSandboxAsync(string script)
    {
        var result = await _host.Service<ISandboxProvider>().RunCommandAsync(_sandboxId, new SandboxProcessSpec(["sh", "-c", script]), TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.True(result.ExitCode == 0, result.Output);
    }
}
