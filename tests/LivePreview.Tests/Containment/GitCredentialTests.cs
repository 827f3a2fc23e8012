using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using LivePreview.Tests.Hosting;
using LivePreview.Tests.Sandboxes;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Containment;

/// <summary>
/// Exports over https to a real git http-backend: the token reaches the host it is configured for, in basic auth, and
/// never shows on a command line; a second host name, and a redirect to it, get no Authorization header at all.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class GitCredentialTests : IAsyncLifetime
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("livepreview-git-http-").FullName;
    private readonly string _token = "lp-test-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    private GitHttpServer _server = null!;
    private LivePreviewHost _host = null!;
    private string _session = "";

    public async Task InitializeAsync()
    {
        _server = await GitHttpServer.StartAsync(_scratch, _token, "alpha.localhost", "beta.localhost");
        _server.Passwords["alpha.localhost"] = ("x-access-token", _token);
        await SandboxLifecycleTests.RunAsync("git", "init", "-q", "--bare", Path.Join(_scratch, "repos", "proto.git"));
        _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:Git:AllowedRemotes:0"] = $"https://alpha.localhost:{_server.Port}/",
            ["LivePreview:Git:AllowedRemotes:1"] = $"https://beta.localhost:{_server.Port}/",
            ["LivePreview:Git:CaCertificates"] = _server.CaFile,
            ["LivePreview:Git:Credentials:0:Host"] = "alpha.localhost",
            ["LivePreview:Git:Credentials:0:Username"] = "x-access-token",
            ["LivePreview:Git:Credentials:0:Token"] = _token,
        });
        var response = await _host.Http.PostAsJsonAsync("api/v1/prototype/session", new { framework = "react-vite", agent = "replay" });
        var session = await response.Content.ReadFromJsonAsync<JsonElement>();
        _session = session.GetProperty("id").GetString()!;
        await _host.WaitForPreviewAsync(session.GetProperty("sandbox_id").GetString()!);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _server.DisposeAsync();
        Directory.Delete(_scratch, recursive: true);
    }

    [Fact]
    public async Task The_token_reaches_its_own_host_as_basic_auth_and_no_command_line()
    {
        var export = await ExportAsync($"https://alpha.localhost:{_server.Port}/proto.git", "prototype/https");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        var sha = (await export.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("commit_sha").GetString();
        Assert.Equal(sha, (await SandboxLifecycleTests.RunAsync("git", "-C", Path.Join(_scratch, "repos", "proto.git"), "rev-parse", "prototype/https")).Trim());
        Assert.Contains(_server.Requests, r => r.Host == "alpha.localhost" && r.Authorization is not null);
        Assert.True(_server.GitClientSeen, "git's https helper was not running while its requests were served");
        Assert.False(_server.TokenSeenOnACommandLine, "the token was on a process's command line during the push");
    }

    [Fact]
    public async Task Another_host_name_and_a_redirect_to_it_never_see_an_authorization_header()
    {
        await ApiValidationTests.ProblemAsync(await ExportAsync($"https://beta.localhost:{_server.Port}/proto.git", "prototype/other"), 502);
        Assert.Contains(_server.Requests, r => r.Host == "beta.localhost");

        var before = _server.Requests.Count(r => r.Host == "beta.localhost");
        _server.RedirectTo = $"https://beta.localhost:{_server.Port}";
        await ApiValidationTests.ProblemAsync(await ExportAsync($"https://alpha.localhost:{_server.Port}/redirect/proto.git", "prototype/redirected"), 502);
        Assert.Contains(_server.Requests, r => r.Path.StartsWith("/redirect/", StringComparison.Ordinal));
        Assert.Equal(before, _server.Requests.Count(r => r.Host == "beta.localhost"));

        Assert.DoesNotContain(_server.Requests, r => r.Host == "beta.localhost" && r.Authorization is not null);
        Assert.False(_server.TokenSeenOnACommandLine);
    }

    private Task<HttpResponseMessage> ExportAsync(string remote, string branch) =>
        _host.Http.PostAsJsonAsync($"api/v1/prototype/session/{_session}/export", new { repo_url = remote, branch });
}
