using System.Net;
using LivePreview.Git;
using Microsoft.Extensions.Logging.Abstractions;

namespace LivePreview.Tests.Containment;

/// <summary>What every host-side git gets: no environment of the service, no config but ours, one protocol, a credential for its own https host only.</summary>
public sealed class HostGitTests : IDisposable
{
    private const string Token = "tok-0123456789";
    private readonly HostGit _git = new(new FixedMonitor<GitOptions>(new GitOptions
    {
        Credentials = [new GitCredential { Host = "git.example.com", Token = Token }],
    }), NullLogger<HostGit>.Instance);

    public void Dispose() => _git.Dispose();

    [Fact]
    public async Task Git_sees_none_of_the_services_environment_and_no_config_but_ours()
    {
        Environment.SetEnvironmentVariable("LIVEPREVIEW_TEST_SERVICE_SECRET", "sk-should-not-leak");
        var env = await _git.RunAsync(null, ["-c", "alias.show-env=!env", "show-env"], CancellationToken.None);
        Assert.Equal(0, env.ExitCode);
        Assert.DoesNotContain("sk-should-not-leak", env.Output);
        Assert.Contains($"HOME={_git.Home}", env.Output);

        var config = await _git.RunAsync(null, ["config", "--list", "--show-origin"], CancellationToken.None);
        var lines = config.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, line => Assert.StartsWith("command line:", line));
        Assert.Contains(lines, l => l.EndsWith($"core.hookspath={_git.HooksDirectory}", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.EndsWith("protocol.allow=never", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.EndsWith("core.fsmonitor=false", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.EndsWith("http.followredirects=false", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("safe.directory", StringComparison.Ordinal));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_git.HooksDirectory));
    }

    [Fact]
    public void The_token_travels_only_to_its_https_host_and_only_in_the_environment()
    {
        var own = _git.StartInfo("/repo", ["push", "https://git.example.com/o/r.git"], Remote(GitTransport.Https, "git.example.com"));
        Assert.Contains(Token, own.Environment.Values);
        Assert.DoesNotContain(own.ArgumentList, a => a.Contains(Token, StringComparison.Ordinal));
        Assert.Equal(["protocol.allow=never", "protocol.https.allow=always"], Config(own).Where(c => c.StartsWith("protocol.", StringComparison.Ordinal)));

        foreach (var other in new[] { Remote(GitTransport.Https, "evil.example"), Remote(GitTransport.Https, "git.example.com.evil.example"),
                     Remote(GitTransport.Http, "git.example.com"), Remote(GitTransport.Ssh, "git.example.com") })
        {
            var start = _git.StartInfo("/repo", ["push", other.Url], other);
            Assert.DoesNotContain(start.Environment.Values, v => v!.Contains(Token, StringComparison.Ordinal));
        }
        Assert.Equal(["protocol.allow=never"], Config(_git.StartInfo("/repo", ["status"], null)).Where(c => c.StartsWith("protocol.", StringComparison.Ordinal)));
        Assert.Equal(["protocol.allow=never", "protocol.file.allow=always"],
            Config(_git.StartInfo("/repo", ["push"], new GitRemote("/srv/git/r.git", GitTransport.File, null, null, []))).Where(c => c.StartsWith("protocol.", StringComparison.Ordinal)));
    }

    /// <summary>The GIT_CONFIG_KEY_n/VALUE_n pairs, in order, as "key=value".</summary>
    private static List<string> Config(System.Diagnostics.ProcessStartInfo start) =>
        Enumerable.Range(0, int.Parse(start.Environment["GIT_CONFIG_COUNT"]!, System.Globalization.CultureInfo.InvariantCulture))
            .Select(i => $"{start.Environment[$"GIT_CONFIG_KEY_{i}"]}={start.Environment[$"GIT_CONFIG_VALUE_{i}"]}").ToList();

    [Theory]
    [InlineData("LivePreview:Prototypes:GitToken", "ghp_x")]
    [InlineData("LivePreview:Prototypes:GitUser", "x-access-token")]
    [InlineData("LivePreview:Git:AllowedRemotes:0", "https://git.corp")]
    public async Task Start_up_fails_on_the_replaced_token_settings_and_on_open_ended_prefixes(string key, string value)
    {
        var data = Directory.CreateTempSubdirectory("livepreview-git-options-").FullName;
        try
        {
            await using var app = LivePreview.Hosting.LivePreviewApp.Build(["--urls=http://127.0.0.1:0", $"--LivePreview:DataDirectory={data}", $"--{key}={value}"]);
            var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => app.StartAsync());
            Assert.Contains(key.Contains("Prototypes", StringComparison.Ordinal) ? "LivePreview:Git:Credentials" : "must end in '/'", error.Message);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private static GitRemote Remote(GitTransport transport, string host) =>
        new($"{(transport == GitTransport.Http ? "http" : transport == GitTransport.Ssh ? "ssh" : "https")}://{host}/o/r.git", transport, host, null, [IPAddress.Parse("140.82.112.3")]);
}
