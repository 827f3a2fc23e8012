using LivePreview.Sandboxes;
using LivePreview.Sandboxes.Daytona;
using LivePreview.Tests.Sandboxes.Local;
using LivePreview.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LivePreview.Tests.Sandboxes.Contract;

/// <summary>
/// The provider contract against <see cref="FakeDaytona"/> (Daytona's REST API and toolbox on 127.0.0.1, really running what
/// it is asked), through the provider's own HTTP client; then what only Daytona has: auto-stop, the preview token, the API key.
/// </summary>
public sealed class DaytonaContractTests : SandboxProviderContract
{
    private const string Framework = "contract";
    private string _snapshot = null!;
    private readonly List<string> _created = [];
    private FakeDaytona _daytona = null!;
    private DaytonaOptions _options = null!;
    private DaytonaClient _client = null!;
    private DaytonaSandboxProvider _provider = null!;

    protected override ISandboxProvider Provider => _provider;

    public override async Task InitializeAsync()
    {
        _snapshot = await WriteSnapshotAsync(Framework);
        _daytona = await FakeDaytona.StartAsync(new Dictionary<string, string> { ["lp-contract"] = _snapshot });
        _options = new DaytonaOptions
        {
            ApiUrl = _daytona.ApiUrl.AbsoluteUri,
            ApiKey = _daytona.ApiKey,
            Snapshots = { [Framework] = "lp-contract" },
            // Relative: the fake's sandboxes are folders, and the toolbox resolves relative paths against the sandbox's working directory.
            WorkspaceDirectory = "app",
            PollInterval = TimeSpan.FromMilliseconds(100),
        };
        Assert.True(new DaytonaOptionsValidator().Validate(null, _options).Succeeded);
        NewProvider();
    }

    public override async Task DisposeAsync()
    {
        foreach (var id in _created)
        {
            await _provider.DeleteAsync(id, Timeout);
        }
        _client.Dispose();
        await _daytona.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_snapshot)!, recursive: true);
    }

    protected override string NewId()
    {
        var id = SandboxId.New();
        _created.Add(id);
        return id;
    }

    protected override SandboxSpec Spec(string id) => new(id, _snapshot);

    protected override Task RestartAsync()
    {
        _client.Dispose();
        NewProvider();
        return Task.CompletedTask;
    }

    // The fake's sandboxes share this machine's network.
    protected override int ServerPort() => FreeHostPort();

    [Fact]
    public async Task A_sandbox_Daytona_auto_stopped_is_unhealthy_and_an_attach_starts_it_again()
    {
        var id = await CreateAsync();

        await _daytona.AutoStopAsync(id);

        var health = await Provider.GetHealthAsync(id, Timeout);
        Assert.Equal((true, false), (health.Exists, health.Healthy));
        Assert.Contains("stopped", health.Detail);
        Assert.True(await Provider.AttachAsync(Spec(id), Timeout));
        Assert.Equal("started", _daytona.StateOf(id));
        Assert.Equal(0, (await Provider.RunCommandAsync(id, new SandboxProcessSpec(["true"]), TimeSpan.FromSeconds(30), Timeout)).ExitCode);
    }

    [Fact]
    public async Task A_port_without_the_preview_token_is_refused_by_Daytona()
    {
        var id = await CreateAsync();
        var port = ServerPort();
        await using var server = await StartServerAsync(id, port);
        var url = await _provider.GetPortUrlAsync(id, port, Timeout);

        using var http = SandboxHttpClient.Create(await Provider.GetPortEndpointAsync(id, port, Timeout));
        var response = await http.GetAsync(url.BaseUrl, readBody: false, Timeout);

        Assert.Equal(401, response.StatusCode);
        Assert.Contains(url.Headers, h => h.Key == FakeDaytona.PreviewTokenHeader && h.Value.Length > 0);
    }

    [Fact]
    public async Task What_Daytona_cannot_do_is_a_provider_limit_not_a_crash()
    {
        var id = await CreateAsync();

        await Assert.ThrowsAsync<SandboxProviderLimitException>(() => Provider.StartTerminalAsync(id, new SandboxTerminalSpec(80, 24), Timeout));
        await Assert.ThrowsAsync<SandboxProviderLimitException>(() => Provider.StartProcessAsync(id, new SandboxProcessSpec(["cat"], OpenInput: true), Timeout));
        await Assert.ThrowsAsync<SandboxProviderLimitException>(() => Provider.CreateAsync(new SandboxSpec(NewId(), Path.Join(Path.GetTempPath(), "vue-vite-123456789012")), Timeout));
        Assert.Equal(501, LivePreview.Hosting.ApiProblems.Map(new SandboxProviderLimitException("x")).Status);
    }

    [Fact]
    public async Task The_api_key_travels_only_in_the_authorization_header()
    {
        var id = await CreateAsync();
        await Provider.Files(id).WriteAsync("a.txt", Text("a"), Timeout);
        await Provider.RunCommandAsync(id, new SandboxProcessSpec(["true"]), TimeSpan.FromSeconds(30), Timeout);

        Assert.NotEmpty(_daytona.Requests);
        Assert.DoesNotContain(_daytona.Requests, r => r.Contains(_daytona.ApiKey, StringComparison.Ordinal));
        var env = await Provider.RunCommandAsync(id, new SandboxProcessSpec(["env"]), TimeSpan.FromSeconds(30), Timeout);
        Assert.DoesNotContain(_daytona.ApiKey, env.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stranger_without_the_key_gets_401_from_the_fake()
    {
        using var http = new HttpClient();
        var response = await http.GetAsync(new Uri(_daytona.ApiUrl + "/sandbox"), Timeout);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private void NewProvider()
    {
        _client = new DaytonaClient(Options.Create(_options));
        _provider = new DaytonaSandboxProvider(_client, Options.Create(_options), TimeProvider.System, NullLogger<DaytonaSandboxProvider>.Instance);
    }
}
