using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Sandboxes;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.WarmPool;

/// <summary>Pooled sandboxes that break are replaced; a restart adopts the pool instead of duplicating it.</summary>
[Collection(ServiceCollection.Name)]
public sealed class WarmPoolHealthTests : IAsyncLifetime
{
    private LivePreviewHost? _host;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAndCleanAsync();
        }
    }

    [Fact]
    public async Task A_pooled_sandbox_whose_dev_server_dies_for_good_is_evicted_deleted_and_replaced()
    {
        _host = await PoolTesting.StartAsync(size: 1, new Dictionary<string, string?> { ["LivePreview:Previews:MaxRestarts"] = "0" });
        var victim = (await _host.WaitForPoolAsync(p => p.Int("ready") == 1, "1 ready")).MemberIds().Single();

        await SandboxProcesses.KillAllAsync(victim);

        var pool = await _host.WaitForPoolAsync(p => p.Int("ready") == 1 && p.MemberIds().Single() != victim, "a ready replacement");
        var eviction = pool.GetProperty("last_evictions").EnumerateArray().Single();
        Assert.Equal((victim, "preview_failed"), (eviction.GetProperty("sandbox_id").GetString(), eviction.GetProperty("reason").GetString()));
        Assert.Equal(1, pool.Int("evictions"));
        Assert.Equal(HttpStatusCode.NotFound, (await _host.Http.GetAsync($"api/v1/sandboxes/{victim}")).StatusCode);
        Assert.DoesNotContain($"lp-{victim}", await SandboxLifecycleTests.RunAsync("ip", "netns", "list"));
        Assert.Matches(WarmPoolClaimTests.Metric("livepreview_warmpool_evictions_total", "reason=\"preview_failed\"", " 1"), await _host.Http.GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task A_restart_adopts_the_pooled_sandboxes_without_duplicates_and_they_become_claimable_again()
    {
        _host = await PoolTesting.StartAsync(size: 2);
        var dataDirectory = _host.DataDirectory;
        var before = (await _host.WaitForPoolAsync(p => p.Int("ready") == 2, "2 ready")).MemberIds();
        await _host.App.StopAsync();
        await _host.App.DisposeAsync();
        _host = null;

        _host = await PoolTesting.StartAsync(size: 2, dataDirectory: dataDirectory);

        var after = await _host.WaitForPoolAsync(p => p.Int("ready") == 2, "the adopted 2 ready again");
        Assert.Equal(before.Order(), after.MemberIds().Order());
        var all = await _host.Http.GetFromJsonAsync<JsonElement>("api/v1/sandboxes");
        Assert.Equal(before.Order(), all.EnumerateArray().Select(s => s.GetProperty("id").GetString()!).Order());
        var session = await _host.StartSessionAsync();
        Assert.Contains(session.GetProperty("sandbox_id").GetString(), before);
        Assert.Equal("ready", session.GetProperty("preview_status").GetString());
        await _host.EndSessionAsync(session);
    }
}
