using System.Net;
using LivePreview.Git;
using LivePreview.Hosting;
using LivePreview.Snapshots;
using Microsoft.Extensions.Options;

namespace LivePreview.Tests.Containment;

/// <summary>Which remotes the host may push to: public https/ssh by default, AllowedRemotes for the rest, never the data directory.</summary>
public sealed class GitRemotePolicyTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("livepreview-policy-").FullName;
    private readonly Dictionary<string, IPAddress[]> _dns = new()
    {
        ["git.example.com"] = [IPAddress.Parse("140.82.112.3")],
        ["intranet.example.com"] = [IPAddress.Parse("10.1.2.3")],
        ["mixed.example.com"] = [IPAddress.Parse("140.82.112.3"), IPAddress.Parse("fd00::1")],
        ["metadata.example.com"] = [IPAddress.Parse("169.254.169.254")],
        ["mapped.example.com"] = [IPAddress.Parse("::ffff:127.0.0.1")],
    };

    private string Data => Path.Join(_root, "data");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData("https://git.example.com/owner/repo.git", "https://git.example.com/owner/repo.git")]
    [InlineData("HTTPS://Git.Example.COM./owner/repo.git", "https://git.example.com/owner/repo.git")]
    [InlineData("https://140.82.112.3:8443/repo.git", "https://140.82.112.3:8443/repo.git")]
    [InlineData("https://[2606:4700::1111]/repo.git", "https://[2606:4700::1111]/repo.git")]
    [InlineData("git@git.example.com:owner/repo.git", "git@git.example.com:owner/repo.git")]
    [InlineData("ssh://git@git.example.com:2222/owner/repo.git", "ssh://git@git.example.com:2222/owner/repo.git")]
    public async Task Https_and_ssh_remotes_on_public_hosts_are_allowed_by_default(string url, string expected)
    {
        var remote = await Policy().CheckAsync(url, CancellationToken.None);
        Assert.Equal(expected, remote.Url);
        Assert.NotEmpty(remote.Addresses);
    }

    [Theory]
    [InlineData("https://127.0.0.1/repo.git", "loopback")]
    [InlineData("https://10.0.0.8/repo.git", "private")]
    [InlineData("https://172.20.1.1/repo.git", "private")]
    [InlineData("https://192.168.1.1/repo.git", "private")]
    [InlineData("https://100.64.0.1/repo.git", "CGNAT")]
    [InlineData("https://169.254.169.254/latest/meta-data", "link-local")]
    [InlineData("https://0.0.0.0/repo.git", "this network")]
    [InlineData("https://[::1]/repo.git", "loopback")]
    [InlineData("https://[fe80::1]/repo.git", "link-local")]
    [InlineData("https://[fd12:3456::1]/repo.git", "unique local")]
    [InlineData("https://[::ffff:127.0.0.1]/repo.git", "loopback")]
    [InlineData("https://[::ffff:169.254.169.254]/repo.git", "link-local")]
    [InlineData("https://[64:ff9b::a00:1]/repo.git", "private")]
    [InlineData("https://[2002:c0a8:101::1]/repo.git", "private")]
    [InlineData("https://localhost/repo.git", "loopback name")]
    [InlineData("https://localhost./repo.git", "loopback name")]
    [InlineData("https://git.localhost/repo.git", "loopback name")]
    [InlineData("https://intranet.example.com/repo.git", "10.1.2.3")]
    [InlineData("https://mixed.example.com/repo.git", "fd00::1")]
    [InlineData("https://metadata.example.com/repo.git", "link-local")]
    [InlineData("https://mapped.example.com/repo.git", "loopback")]
    [InlineData("git@127.0.0.1:repo.git", "loopback")]
    [InlineData("git@[::1]:repo.git", "loopback")]
    [InlineData("ssh://git@intranet.example.com/repo.git", "10.1.2.3")]
    [InlineData("ssh://localhost/repo.git", "loopback name")]
    public async Task Loopback_link_local_and_private_hosts_are_refused_saying_which_setting_allows_them(string url, string why)
    {
        var message = await RefusedAsync(Policy(), url);
        Assert.Contains(why, message);
        Assert.Contains("LivePreview:Git:AllowedRemotes", message);
    }

    [Theory]
    [InlineData("https://2130706433/repo.git")]
    [InlineData("https://0x7f000001/repo.git")]
    [InlineData("https://0x7f.0.0.1/repo.git")]
    [InlineData("https://0177.0.0.1/repo.git")]
    [InlineData("https://127.1/repo.git")]
    [InlineData("git@2130706433:repo.git")]
    public async Task Numeric_spellings_of_addresses_are_refused(string url) =>
        Assert.Contains("four decimal numbers", await RefusedAsync(Policy(), url));

    [Theory]
    [InlineData("https://user:secret@git.example.com/repo.git", "LivePreview:Git:Credentials")]
    [InlineData("https://git.example.com@evil.example/repo.git", "LivePreview:Git:Credentials")]
    [InlineData("http://git.example.com/repo.git", "Plain http")]
    [InlineData("-oProxyCommand=touch /tmp/x", "'-'")]
    [InlineData("ext::sh -c touch% /tmp/x", "transport helper")]
    [InlineData("fd::3", "transport helper")]
    [InlineData("https://git.example.com/repo.git\n", "control")]
    [InlineData("https://git.example.com\\evil/repo.git", "not a usable https URL")]
    [InlineData("https://git.example.com/repo.git?x=1", "not a usable https URL")]
    [InlineData("relative/remote.git", "not a supported remote")]
    [InlineData("git@-oProxyCommand=x:repo", "not a supported remote")]
    [InlineData("git@git.example.com:-repo", "must not start with '-'")]
    [InlineData("", "Give")]
    public async Task Malformed_or_dangerous_remotes_are_refused_with_a_reason(string url, string why) =>
        Assert.Contains(why, await RefusedAsync(Policy(), url));

    [Fact]
    public async Task Local_paths_and_file_urls_need_a_prefix_and_are_given_to_git_as_their_real_path()
    {
        var repos = Directory.CreateDirectory(Path.Join(_root, "repos")).FullName;
        var repo = Directory.CreateDirectory(Path.Join(repos, "app.git")).FullName;
        Assert.Contains("LivePreview:Git:AllowedRemotes", await RefusedAsync(Policy(), repo));
        Assert.Contains("LivePreview:Git:AllowedRemotes", await RefusedAsync(Policy(), "file://" + repo));

        var allowed = Policy(repos + "/", "file://" + repos + "/");
        Assert.Equal(repo, (await allowed.CheckAsync(repo, CancellationToken.None)).Url);
        Assert.Equal(GitTransport.File, (await allowed.CheckAsync("file://" + repo, CancellationToken.None)).Transport);
        Assert.Contains("LivePreview:Git:AllowedRemotes", await RefusedAsync(allowed, Path.Join(repos, "..", "other.git")));
        Assert.Contains("file:///absolute/path", await RefusedAsync(allowed, "file://localhost" + repo));
    }

    [Fact]
    public async Task Nothing_under_the_data_directory_is_a_remote_even_through_a_symlink_or_an_allowing_prefix()
    {
        var workspace = Directory.CreateDirectory(Path.Join(Data, "sandboxes", "abc", "merged")).FullName;
        var outside = Directory.CreateDirectory(Path.Join(_root, "outside")).FullName;
        var link = Path.Join(outside, "link");
        Directory.CreateSymbolicLink(link, workspace);
        var policy = Policy("/", "file:///");

        foreach (var url in new[] { workspace, "file://" + workspace, Data, Path.Join(link), Path.Join(link, "sub", "repo.git"), "file://" + link, Path.Join(outside, "..", "data") })
        {
            Assert.Contains("No setting allows", await RefusedAsync(policy, url));
        }
        var gitFile = Directory.CreateDirectory(Path.Join(outside, "redirect")).FullName;
        await File.WriteAllTextAsync(Path.Join(gitFile, ".git"), $"gitdir: {workspace}/.git\n");
        Assert.Contains("not a plain repository folder", await RefusedAsync(policy, gitFile));
    }

    [Fact]
    public async Task A_prefix_allows_a_private_forge_but_only_what_it_covers()
    {
        var policy = Policy("https://intranet.example.com/team/", "git@10.0.0.5:");
        Assert.Equal("https://intranet.example.com/team/app.git", (await policy.CheckAsync("https://intranet.example.com/team/app.git", CancellationToken.None)).Url);
        Assert.Equal("git@10.0.0.5:app.git", (await policy.CheckAsync("git@10.0.0.5:app.git", CancellationToken.None)).Url);
        Assert.Contains("10.1.2.3", await RefusedAsync(policy, "https://intranet.example.com/other/app.git"));
        Assert.Contains("private", await RefusedAsync(policy, "git@10.0.0.6:app.git"));
    }

    [Fact]
    public async Task The_machines_own_name_resolves_through_real_dns_to_a_refused_address()
    {
        var policy = Policy();
        policy.Resolve = Dns.GetHostAddressesAsync;
        Assert.Contains("LivePreview:Git:AllowedRemotes", await RefusedAsync(policy, $"https://{Dns.GetHostName()}/repo.git"));
    }

    private static async Task<string> RefusedAsync(GitRemotePolicy policy, string url) =>
        (await Assert.ThrowsAsync<GitRemoteRefusedException>(() => policy.CheckAsync(url, CancellationToken.None))).Message;

    private GitRemotePolicy Policy(params string[] allowed) =>
        new(new FixedMonitor<GitOptions>(new GitOptions { AllowedRemotes = [.. allowed] }),
            Options.Create(new LivePreviewOptions { DataDirectory = Data }), Options.Create(new SnapshotOptions()))
        {
            Resolve = (host, _) => Task.FromResult(_dns.TryGetValue(host, out var a) ? a : throw new System.Net.Sockets.SocketException(11001)),
        };
}

/// <summary>Options that never change.</summary>
internal sealed class FixedMonitor<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;

    public T Get(string? name) => value;

    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
