using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using LivePreview.Events;
using LivePreview.Frameworks;
using LivePreview.Snapshots;
using LivePreview.Tests.Support;
using Xunit.Abstractions;

namespace LivePreview.Tests.Drills;

/// <summary>
/// The package registry is unreachable while a snapshot is rebuilt: the build's npm is pointed at a closed port on
/// 127.0.0.1 (<c>LivePreview:Snapshots:Registry</c>). The rebuild ends failed with SNAPSHOT_BUILD_FAILED and a message
/// naming the registry, in bounded time (printed); the snapshot that was current stays current, and a new sandbox
/// made from it starts and previews. The snapshots are a copy of the suite's, in a folder of this test's own.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class RegistryUnreachableTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _snapshots = Directory.CreateTempSubdirectory("lp-registry-down-").FullName;
    private readonly int _closedPort = ClosedPort();
    private LivePreviewHost _host = null!;

    private string Registry => $"http://127.0.0.1:{_closedPort}/";

    public async Task InitializeAsync()
    {
        // The suite's current react-vite snapshot, built by the first test that needed it (made here if none has).
        await using (var shared = await LivePreviewHost.StartAsync())
        {
            var current = await shared.Service<ISnapshotStore>().EnsureAsync(FrameworkCatalog.ReactVite, CancellationToken.None);
            await Sandboxes.SandboxLifecycleTests.RunAsync("cp", "-a", current.Directory, _snapshots);
        }
        _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:Snapshots:Root"] = _snapshots,
            ["LivePreview:Snapshots:Registry"] = Registry,
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(_snapshots, recursive: true);
    }

    [Fact]
    public async Task A_rebuild_with_the_registry_unreachable_fails_naming_it_and_the_previous_snapshot_keeps_serving()
    {
        var store = _host.Service<ISnapshotStore>();
        var before = store.TryGetCurrent(FrameworkCatalog.ReactVite);
        Assert.NotNull(before);
        using var watch = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        var failedEvent = FirstAsync(EventTypes.SnapshotBuildFailed, watch.Token);

        var clock = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAsync<SnapshotException>(() => store.RebuildAsync(FrameworkCatalog.ReactVite, null, watch.Token));
        output.WriteLine($"The rebuild failed {clock.Elapsed.TotalSeconds:0.0} s after it started: {failure.Message}");
        Assert.Contains($"127.0.0.1:{_closedPort}", failure.Message, StringComparison.Ordinal);
        var failed = await failedEvent;
        Assert.Equal("react-vite", failed.GetProperty("framework").GetString());
        Assert.Contains($"127.0.0.1:{_closedPort}", failed.GetProperty("message").GetString(), StringComparison.Ordinal);

        var after = store.TryGetCurrent(FrameworkCatalog.ReactVite);
        Assert.Equal(before.Id, after?.Id);
        Assert.Equal(before.BuiltAt, after!.BuiltAt);
        Assert.DoesNotContain(Directory.EnumerateDirectories(_snapshots), d => Path.GetFileName(d).Contains(".replaced-", StringComparison.Ordinal));

        var id = (await _host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        var preview = await _host.WaitForPreviewAsync(id);
        using (var page = await _host.Http.GetAsync(preview.GetProperty("preview_url").GetString()))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }
        Assert.Equal(HttpStatusCode.NoContent, (await _host.Http.DeleteAsync($"api/v1/sandboxes/{id}")).StatusCode);
    }

    /// <summary>A port nothing listens on: bound once to be given one, then closed.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The payload of the first event of <paramref name="type"/> from now on (subscribed before this returns).</summary>
    private Task<JsonElement> FirstAsync(string type, CancellationToken ct)
    {
        var events = _host.Service<IEventBus>().SubscribeAsync(new EventFilter(null, new HashSet<string> { type }), ct).GetAsyncEnumerator(ct);
        var next = events.MoveNextAsync().AsTask();
        return Read();

        async Task<JsonElement> Read()
        {
            await using (events)
            {
                Assert.True(await next, $"no {type}");
                return events.Current.Payload!.Value;
            }
        }
    }
}
