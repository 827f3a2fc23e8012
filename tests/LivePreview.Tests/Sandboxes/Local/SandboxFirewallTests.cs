using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Events;
using LivePreview.Hosting;
using LivePreview.Sandboxes;
using LivePreview.Sandboxes.Local;
using LivePreview.Tests.Snapshots;
using LivePreview.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LivePreview.Tests.Sandboxes.Local;

/// <summary>The firewall fails closed, can be switched off only explicitly, and comes back when something flushes it. Each test uses a table of its own.</summary>
[Collection(ServiceCollection.Name)]
public sealed class SandboxFirewallTests : IAsyncLifetime
{
    private const string MissingNft = "/nonexistent/livepreview-test/nft";
    private readonly LocalSandboxHarness _harness = new("10.237", ownFirewallTable: true);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Without_nft_a_sandbox_is_not_created_and_the_error_says_what_to_do()
    {
        _harness.Options.NftPath = MissingNft;
        var id = _harness.NewId();

        var error = await Assert.ThrowsAsync<SandboxUnavailableException>(() => _harness.Provider.CreateAsync(new SandboxSpec(id, _harness.Snapshot), LocalSandboxHarness.Timeout));

        Assert.Contains(MissingNft, error.Message, StringComparison.Ordinal);
        Assert.Contains("Firewall=Off", error.Message, StringComparison.Ordinal);
        Assert.Empty(await _harness.Provider.ListAsync(CancellationToken.None));
        Assert.False(File.Exists($"/run/netns/lp-{id}"));
    }

    [Fact]
    public async Task Without_nft_the_create_request_gets_a_503_problem_saying_how_to_fix_it()
    {
        await using var host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:Sandboxes:Local:NftPath"] = MissingNft,
            ["LivePreview:Sandboxes:Local:FirewallTable"] = _harness.Options.FirewallTable,
        });

        using var response = await host.Http.PostAsJsonAsync("api/v1/sandboxes", new { framework = "react-vite" });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("Firewall=Off", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(await host.Service<SandboxManager>().ListLocalAsync(CancellationToken.None));
    }

    [Fact]
    public async Task With_the_firewall_off_a_sandbox_starts_without_nft_and_a_warning_is_logged()
    {
        _harness.Options.NftPath = MissingNft;
        _harness.Options.Firewall = FirewallMode.Off;
        var logger = new RecordingLogger();
        await using var provider = new LocalSandboxProvider(Options.Create(_harness.Options), Options.Create(new LivePreviewOptions()), TimeProvider.System,
            NullLogger<LocalSandboxProvider>.Instance, new SandboxFirewall(_harness.Options, logger));
        var id = _harness.NewId();

        await provider.CreateAsync(new SandboxSpec(id, _harness.Snapshot), LocalSandboxHarness.Timeout);
        var result = await provider.RunCommandAsync(id, new SandboxProcessSpec(["node", "-e", "console.log('alive')"]), TimeSpan.FromSeconds(15), LocalSandboxHarness.Timeout);
        await provider.DeleteAsync(id, CancellationToken.None);

        Assert.Equal("alive", result.Output.Trim());
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("Firewall is Off", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_flushed_table_is_restored_within_a_verification_interval_and_an_event_says_so()
    {
        _harness.Options.FirewallVerifyInterval = TimeSpan.FromMilliseconds(200);
        var events = new RecordingEventBus();
        var firewall = new SandboxFirewall(_harness.Options, NullLogger.Instance);
        using var verifier = new SandboxFirewallVerifier(firewall, events, Options.Create(_harness.Options), TimeProvider.System, NullLogger<SandboxFirewallVerifier>.Instance);
        await verifier.StartAsync(CancellationToken.None);
        var loaded = await WaitForAsync(async () => await ListTableAsync() is { Length: > 0 } listing && listing.Contains("lph*", StringComparison.Ordinal) ? listing : null);

        await LocalSandboxHarness.RunHostAsync("nft", "flush", "table", "inet", _harness.Options.FirewallTable);

        var restored = await WaitForAsync(() => Task.FromResult(events.OfType(EventTypes.FirewallRestored).FirstOrDefault()));
        await verifier.StopAsync(CancellationToken.None);
        Assert.Equal(loaded, await ListTableAsync());
        Assert.Equal($"inet {_harness.Options.FirewallTable}", restored.Payload!.Value.GetProperty("table").GetString());
        Assert.Equal(EntityTypes.Host, restored.EntityType);
    }

    [Theory]
    [InlineData("On", FirewallMode.On)]
    [InlineData("Off", FirewallMode.Off)]
    [InlineData("true", FirewallMode.On)]
    [InlineData("false", FirewallMode.Off)]
    public void The_firewall_setting_takes_On_and_Off_and_the_old_booleans(string value, FirewallMode expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Firewall"] = value }).Build();

        Assert.Equal(expected, configuration.Get<LocalSandboxOptions>()!.Firewall);
    }

    private Task<string> ListTableAsync() => LocalSandboxHarness.RunHostAsync("nft", "list", "table", "inet", _harness.Options.FirewallTable);

    /// <summary>Polls until the probe has a value; a generous bound only turns a hang into a failure (no timing is asserted).</summary>
    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe)
    {
        for (var i = 0; i < 600; i++)
        {
            if (await probe() is { } value)
            {
                return value;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("The condition did not come true within a minute.");
    }

    private sealed class RecordingLogger : ILogger
    {
        public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, formatter(state, exception)));
    }
}
