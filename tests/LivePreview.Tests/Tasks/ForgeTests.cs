using LivePreview.Git;
using LivePreview.Tasks.Forges;
using LivePreview.Tests.Events;
using LivePreview.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace LivePreview.Tests.Tasks;

/// <summary>Pull requests through the real clients (Octokit, GitLab REST over HttpClient) against fakes that speak the forges' wire format.</summary>
public sealed class ForgeTests
{
    private const string GitHubToken = "ghp_forgetestsecret000000000000000000";
    private const string GitLabToken = "glpat-forgetestsecret0000";

    [Fact]
    public async Task A_pull_request_on_github_goes_out_as_octokit_sends_it_with_the_token_only_to_the_api()
    {
        await using var github = await FakeGitHub.StartAsync(GitHubToken, "octo/app");
        var forge = Router(GitHub(github));

        var pr = await forge.CreatePullRequestAsync("https://github.com/octo/app.git", "livepreview/tk123", "main", "Add a dark mode", "Made by task tk123.\n\n$(rm -rf /) `x`", CancellationToken.None);

        Assert.Equal((new Uri("https://github.com/octo/app/pull/1"), 1, false), (pr.Url, pr.Number, pr.Existing));
        var call = Assert.Single(github.Requests);
        Assert.Equal(("POST", "/repos/octo/app/pulls"), (call.Method, call.RawTarget));
        Assert.Equal("Add a dark mode", (string?)call.Body!["title"]);
        Assert.Equal("livepreview/tk123", (string?)call.Body["head"]);
        Assert.Equal("main", (string?)call.Body["base"]);
        Assert.Equal("Made by task tk123.\n\n$(rm -rf /) `x`", (string?)call.Body["body"]);
        Assert.Matches("^(?i:token|bearer) " + GitHubToken + "$", call.Header("authorization"));
        Assert.Contains("application/vnd.github", call.Header("accept"));
        Assert.Contains("LivePreview", call.Header("user-agent"));
    }

    [Fact]
    public async Task An_open_pull_request_for_the_same_head_is_found_and_returned()
    {
        await using var github = await FakeGitHub.StartAsync(GitHubToken, "octo/app");
        var forge = Router(GitHub(github));
        var first = await forge.CreatePullRequestAsync("git@github.com:octo/app.git", "livepreview/tk1", "main", "One", "", CancellationToken.None);

        var again = await forge.CreatePullRequestAsync("ssh://git@github.com/octo/app", "livepreview/tk1", "main", "One, retried", "", CancellationToken.None);

        Assert.Equal((first.Url, first.Number, true), (again.Url, again.Number, again.Existing));
        var lookup = github.Requests.Last();
        Assert.Equal("GET", lookup.Method);
        Assert.StartsWith("/repos/octo/app/pulls?", lookup.RawTarget);
        Assert.Contains("head=octo%3Alivepreview%2Ftk1", lookup.RawTarget, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("state=open", lookup.RawTarget);
    }

    [Fact]
    public async Task The_token_falls_back_to_the_hosts_git_credential()
    {
        await using var github = await FakeGitHub.StartAsync(GitHubToken, "octo/app");
        var entry = GitHub(github);
        entry.Token = null;
        var forge = Router(entry, new GitCredential { Host = "github.com", Username = "x-access-token", Token = GitHubToken });

        var pr = await forge.CreatePullRequestAsync("https://github.com/octo/app", "feature", "main", "Title", "", CancellationToken.None);

        Assert.Equal(1, pr.Number);
        var none = Router(entry, new GitCredential { Host = "gitlab.com", Username = "x", Token = "other" });
        var error = await Assert.ThrowsAsync<ForgeException>(() => none.CreatePullRequestAsync("https://github.com/octo/app", "f", "main", "T", "", CancellationToken.None));
        Assert.Contains("No token for 'github.com'", error.Message);
    }

    [Fact]
    public async Task A_forge_refusal_carries_its_status_and_message_but_never_the_token()
    {
        await using var github = await FakeGitHub.StartAsync(GitHubToken, "octo/app");
        var forge = Router(GitHub(github));

        var missing = await Assert.ThrowsAsync<ForgeException>(() => forge.CreatePullRequestAsync("https://github.com/octo/other", "f", "main", "T", "", CancellationToken.None));
        Assert.Equal((404, 502), (missing.ForgeStatus, missing.Status));
        Assert.Contains("Not Found", missing.Message);

        var entry = GitHub(github);
        entry.Token = "ghp_wrongtoken";
        var denied = await Assert.ThrowsAsync<ForgeException>(() => Router(entry).CreatePullRequestAsync("https://github.com/octo/app", "f", "main", "T", "", CancellationToken.None));
        Assert.Equal(401, denied.ForgeStatus);
        Assert.Contains("Bad credentials", denied.Message);
        Assert.DoesNotContain("ghp_wrongtoken", denied.ToString());
        Assert.DoesNotContain(GitHubToken, missing.ToString());
    }

    [Fact]
    public async Task A_redirect_to_another_host_is_not_followed_and_the_other_host_hears_nothing()
    {
        await using var github = await FakeGitHub.StartAsync(GitHubToken, "octo/app");
        await using var elsewhere = await FakeGitHub.StartAsync(GitHubToken, "octo/app");
        github.Misbehaviour = ForgeMisbehaviour.RedirectElsewhere;
        github.RedirectTo = elsewhere.BaseUri;
        var gitlab = await FakeGitLab.StartAsync(GitLabToken, "group/project");
        await using var _ = gitlab;
        gitlab.Misbehaviour = ForgeMisbehaviour.RedirectElsewhere;
        gitlab.RedirectTo = elsewhere.BaseUri;
        var forge = Router([GitHub(github), GitLab(gitlab)]);

        var viaGitHub = await Assert.ThrowsAsync<ForgeException>(() => forge.CreatePullRequestAsync("https://github.com/octo/app", "f", "main", "T", "", CancellationToken.None));
        var viaGitLab = await Assert.ThrowsAsync<ForgeException>(() => forge.CreatePullRequestAsync("https://gitlab.example.com/group/project", "f", "main", "T", "", CancellationToken.None));

        Assert.Contains("redirect", viaGitHub.Message);
        Assert.Contains("redirect", viaGitLab.Message);
        Assert.Empty(elsewhere.Requests);
    }

    [Fact]
    public async Task An_answer_larger_than_the_bound_is_an_error()
    {
        await using var gitlab = await FakeGitLab.StartAsync(GitLabToken, "group/project");
        gitlab.Misbehaviour = ForgeMisbehaviour.HugeBody;
        var error = await Assert.ThrowsAsync<ForgeException>(() => Router(GitLab(gitlab)).CreatePullRequestAsync("https://gitlab.example.com/group/project", "f", "main", "T", "", CancellationToken.None));
        Assert.Contains("larger than", error.Message);
    }

    [Fact]
    public async Task A_merge_request_on_gitlab_names_the_project_by_its_encoded_path_and_sends_the_private_token()
    {
        await using var gitlab = await FakeGitLab.StartAsync(GitLabToken, "group/sub/project");
        var forge = Router(GitLab(gitlab));

        var mr = await forge.CreatePullRequestAsync("git@gitlab.example.com:group/sub/project.git", "livepreview/tk9", "develop", "Fix the header", "Body & more", CancellationToken.None);

        Assert.Equal((new Uri("https://gitlab.example.com/group/sub/project/-/merge_requests/1"), 1, false), (mr.Url, mr.Number, mr.Existing));
        var call = Assert.Single(gitlab.Requests);
        Assert.Equal(("POST", "/api/v4/projects/group%2Fsub%2Fproject/merge_requests"), (call.Method, call.RawTarget));
        Assert.Equal(GitLabToken, call.Header("private-token"));
        Assert.Null(call.Header("authorization"));
        Assert.Equal(("livepreview/tk9", "develop", "Fix the header", "Body & more"),
            ((string?)call.Body!["source_branch"], (string?)call.Body["target_branch"], (string?)call.Body["title"], (string?)call.Body["description"]));

        var again = await forge.CreatePullRequestAsync("https://gitlab.example.com/group/sub/project.git", "livepreview/tk9", "develop", "Fix the header", "", CancellationToken.None);
        Assert.Equal((mr.Url, 1, true), (again.Url, again.Number, again.Existing));
        Assert.Equal("GET", gitlab.Requests.Last().Method);
        Assert.Contains("source_branch=livepreview%2Ftk9", gitlab.Requests.Last().RawTarget, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_gitlab_refusal_carries_gitlabs_message()
    {
        await using var gitlab = await FakeGitLab.StartAsync(GitLabToken, "group/project");
        var error = await Assert.ThrowsAsync<ForgeException>(() => Router(GitLab(gitlab)).CreatePullRequestAsync("https://gitlab.example.com/group/nothing", "f", "main", "T", "", CancellationToken.None));
        Assert.Equal(404, error.ForgeStatus);
        Assert.Contains("404 Project Not Found", error.Message);
        Assert.DoesNotContain(GitLabToken, error.ToString());
    }

    [Theory]
    [InlineData("https://github.com/octo/app.git", "github.com", "octo/app")]
    [InlineData("https://github.com/octo/app", "github.com", "octo/app")]
    [InlineData("git@github.com:octo/app.git", "github.com", "octo/app")]
    [InlineData("ssh://git@GitHub.com/octo/app.git", "github.com", "octo/app")]
    [InlineData("https://gitlab.example.com:8443/group/sub/my.project.git", "gitlab.example.com", "group/sub/my.project")]
    public void Remote_urls_name_a_host_and_a_repository_path(string url, string host, string path)
    {
        var repository = ForgeRepository.Parse(url);
        Assert.Equal((host, path), (repository.Host, string.Join('/', repository.Segments)));
    }

    [Theory]
    [InlineData("https://github.com/octo")]
    [InlineData("https://github.com/octo/../admin")]
    [InlineData("https://github.com/octo/a%2Fb")]
    [InlineData("https://github.com/octo/app?x=1")]
    [InlineData("https://token@github.com/octo/app")]
    [InlineData("https://github.com/octo/app#frag")]
    [InlineData("http://github.com/octo/app")]
    [InlineData("ext::sh -c touch% /tmp/x")]
    [InlineData("/srv/git/app.git")]
    [InlineData("git@github.com:octo/app name")]
    [InlineData("https://github.com//app")]
    [InlineData("")]
    public void Hostile_or_unusable_remote_urls_are_refused(string url)
    {
        var error = Assert.Throws<ForgeException>(() => ForgeRepository.Parse(url));
        Assert.Equal(400, error.Status);
    }

    [Fact]
    public async Task A_remote_on_a_host_without_a_forge_entry_says_which_setting_to_add()
    {
        var error = await Assert.ThrowsAsync<ForgeException>(() => Router([]).CreatePullRequestAsync("https://bitbucket.org/o/r", "f", "main", "T", "", CancellationToken.None));
        Assert.Contains("LivePreview:Forges", error.Message);
        Assert.Contains("bitbucket.org", error.Message);
    }

    [Theory]
    [InlineData("http://api.github.com/")]
    [InlineData("https://api.github.com")]
    [InlineData("https://user:pass@api.github.com/")]
    [InlineData("https://api.github.com/?x=1")]
    [InlineData("ftp://api.github.com/")]
    public void An_api_url_that_is_not_https_or_loopback_http_with_a_trailing_slash_fails_validation(string apiUrl)
    {
        var options = new ForgeOptions { Forges = [new ForgeEntry { Host = "github.com", Kind = ForgeKind.GitHub, ApiUrl = apiUrl }] };
        Assert.True(new ForgeOptionsValidator().Validate(null, options).Failed);
        options.Forges[0].ApiUrl = "https://api.github.com/";
        Assert.True(new ForgeOptionsValidator().Validate(null, options).Succeeded);
    }

    private static ForgeEntry GitHub(FakeGitHub fake) => new() { Host = "github.com", Kind = ForgeKind.GitHub, ApiUrl = fake.BaseUri.ToString(), Token = GitHubToken };

    private static ForgeEntry GitLab(FakeGitLab fake) => new() { Host = "gitlab.example.com", Kind = ForgeKind.GitLab, ApiUrl = fake.ApiUri.ToString(), Token = GitLabToken };

    private static IForge Router(ForgeEntry entry, params GitCredential[] credentials) => Router([entry], credentials);

    private static IForge Router(List<ForgeEntry> entries, params GitCredential[] credentials) =>
        new ForgeRouter(new FixedOptionsMonitor<ForgeOptions>(new ForgeOptions { Forges = entries }),
            new FixedOptionsMonitor<GitOptions>(new GitOptions { Credentials = [.. credentials] }), NullLogger<ForgeRouter>.Instance);
}
