using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.DevServers;
using LivePreview.Events;
using LivePreview.Sandboxes.Local;
using LivePreview.Tests.Support;
using Xunit.Abstractions;

namespace LivePreview.Tests.Drills;

/// <summary>
/// A dev server killed by its sandbox's memory limit: a real Vite server whose config (re-read by Vite when it changes)
/// allocates until the kernel's OOM killer ends it. The cgroup counts the kill, DEV_SERVER_CRASHED and the preview's
/// <c>last_crash</c> say "memory_limit" with the limit in the reason, the dev server comes back, and a neighbour sandbox's
/// dev server keeps serving with the same processes.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class MemoryLimitKillTests(ITestOutputHelper output) : IAsyncLifetime
{
    // Vite idles at ~140–250 MB here: room to start and serve, and a hog reaches it in a second.
    private const int MemoryLimitMb = 640;
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync() => _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
    {
        [$"{LocalSandboxOptions.Section}:MemoryLimitMb"] = MemoryLimitMb.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["LivePreview:Previews:RestartBackoff"] = "00:00:00.200",
    });

    public async Task DisposeAsync()
    {
        foreach (var sandbox in (await _host.Http.GetFromJsonAsync<JsonElement>("api/v1/sandboxes")).EnumerateArray())
        {
            await _host.Http.DeleteAsync($"api/v1/sandboxes/{sandbox.GetProperty("id").GetString()}");
        }
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task A_dev_server_over_the_memory_limit_is_killed_said_so_with_the_reason_restarted_and_its_neighbour_keeps_serving()
    {
        var hog = (await _host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        var neighbour = (await _host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        await _host.WaitForPreviewAsync(hog);
        var neighbourPreview = await _host.WaitForPreviewAsync(neighbour);
        var neighbourPids = await PidsAsync(neighbour);
        Assert.Equal(0L, CgroupLimits.OomKills(hog));
        await using var crashes = new CrashWatch(_host, hog);

        // Vite re-reads its config when it changes, in its own process: that process then allocates past the limit, once.
        var config = await _host.Http.GetStringAsync($"api/v1/sandboxes/{hog}/files/vite.config.mjs");
        Assert.Equal(HttpStatusCode.Created, (await _host.Http.PutAsync($"api/v1/sandboxes/{hog}/files/hog.flag", new StringContent("1"))).StatusCode);
        var hogging = "import fs from 'node:fs'\n"
            + "if (fs.existsSync('hog.flag')) { fs.rmSync('hog.flag'); const kept = []; for (;;) kept.push(Buffer.alloc(16 << 20, 1)) }\n";
        Assert.Equal(HttpStatusCode.OK, (await _host.Http.PutAsync($"api/v1/sandboxes/{hog}/files/vite.config.mjs", new StringContent(hogging + config))).StatusCode);
        var written = Stopwatch.StartNew();

        var crash = await crashes.NextAsync();
        output.WriteLine($"DEV_SERVER_CRASHED {written.Elapsed.TotalSeconds:0.00} s after the config was written: {crash.GetRawText()}");
        Assert.Equal(DevServerCrash.MemoryLimit, crash.GetProperty("cause").GetString());
        Assert.Contains($"memory limit ({MemoryLimitMb} MiB)", crash.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.True(CgroupLimits.OomKills(hog) >= 1, "the cgroup counted no OOM kill");

        var back = await _host.WaitForPreviewAsync(hog);
        Assert.Equal(1, back.GetProperty("restarts").GetInt32());
        var lastCrash = back.GetProperty("last_crash");
        Assert.Equal("memory_limit", lastCrash.GetProperty("cause").GetString());
        Assert.Contains("killed by the sandbox's memory limit", lastCrash.GetProperty("reason").GetString(), StringComparison.Ordinal);
        var sandbox = await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{hog}");
        Assert.Equal("running", sandbox.GetProperty("status").GetString());
        Assert.Equal("memory_limit", sandbox.GetProperty("previews")[0].GetProperty("last_crash").GetProperty("cause").GetString());

        // The neighbour: the same processes, no crash, still serving.
        Assert.Equal(neighbourPids, await PidsAsync(neighbour));
        var neighbourNow = await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/preview/sandbox/{neighbour}");
        Assert.Equal("ready", neighbourNow.GetProperty("status").GetString());
        Assert.Equal(0, neighbourNow.GetProperty("restarts").GetInt32());
        Assert.Equal(JsonValueKind.Null, neighbourNow.GetProperty("last_crash").ValueKind);
        Assert.Equal(0L, CgroupLimits.OomKills(neighbour));
        using var page = await _host.Http.GetAsync(neighbourPreview.GetProperty("preview_url").GetString());
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    /// <summary>The host pids of every process in the sandbox's network namespace, sorted.</summary>
    private static async Task<string> PidsAsync(string sandboxId)
    {
        var pids = await Sandboxes.SandboxLifecycleTests.RunAsync("ip", "netns", "pids", $"lp-{sandboxId}");
        var sorted = pids.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(sorted);
        return string.Join(',', sorted);
    }

    /// <summary>DEV_SERVER_CRASHED of one sandbox, subscribed before the fault is made.</summary>
    private sealed class CrashWatch : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new(TimeSpan.FromMinutes(3));
        private readonly IAsyncEnumerator<LivePreviewEvent> _events;
        private readonly Task<bool> _first;

        public CrashWatch(LivePreviewHost host, string sandboxId)
        {
            _events = host.Service<IEventBus>().SubscribeAsync(new EventFilter(sandboxId, new HashSet<string> { EventTypes.DevServerCrashed }), _stop.Token)
                .GetAsyncEnumerator(_stop.Token);
            // The subscription is made by the first MoveNext: started here, before the fault.
            _first = _events.MoveNextAsync().AsTask();
        }

        public async Task<JsonElement> NextAsync()
        {
            Assert.True(await _first, "no DEV_SERVER_CRASHED");
            return _events.Current.Payload!.Value;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _first;
            }
            catch (OperationCanceledException)
            {
            }
            try
            {
                await _events.DisposeAsync();
            }
            catch (OperationCanceledException)
            {
            }
            _stop.Dispose();
        }
    }
}
