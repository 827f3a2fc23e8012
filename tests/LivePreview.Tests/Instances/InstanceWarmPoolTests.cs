using LivePreview.Persistence;
using LivePreview.Tests.Support;
using LivePreview.Tests.WarmPool;
using Microsoft.EntityFrameworkCore;

namespace LivePreview.Tests.Instances;

/// <summary>
/// Two instances on one PostgreSQL, each with its own warm pool of two react-vite sandboxes: eight prototype sessions
/// started at once, four through each instance, get eight distinct sandboxes; the four warm ones are the pools' members,
/// each claimed once (the claim is the database's conditional update), each instance's own — and neither instance adopts,
/// checks or evicts the other's members.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class InstanceWarmPoolTests : IAsyncLifetime
{
    private static readonly string SharedAdminKey = InstanceSettings.NewAdminKey("instance-pool");
    private static readonly string Secret = InstanceSettings.NewSecret();
    private LivePreviewHost? _a;
    private LivePreviewHost? _b;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_b is not null)
        {
            await _b.StopAndCleanAsync();
        }
        if (_a is not null)
        {
            await _a.StopAndCleanAsync();
        }
    }

    [Fact]
    public async Task Eight_parallel_claims_through_two_instances_never_hand_out_one_sandbox_twice()
    {
        var database = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();
        _a = await PoolTesting.StartAsync(size: 2, Settings("lp-a", database));
        _b = await PoolTesting.StartAsync(size: 2, Settings("lp-b", database));
        var pooledA = (await _a.WaitForPoolAsync(p => p.Int("ready") == 2, "2 ready on A", TimeSpan.FromMinutes(5))).MemberIds();
        var pooledB = (await _b.WaitForPoolAsync(p => p.Int("ready") == 2, "2 ready on B", TimeSpan.FromMinutes(5))).MemberIds();
        Assert.Empty(pooledA.Intersect(pooledB));

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var starts = Enumerable.Range(0, 8).Select(async i =>
        {
            await start.Task;
            return await (i % 2 == 0 ? _a : _b).StartSessionAsync();
        }).ToList();
        start.SetResult();
        var sessions = await Task.WhenAll(starts);

        var sandboxIds = sessions.Select(s => s.GetProperty("sandbox_id").GetString()!).ToList();
        Assert.Equal(8, sandboxIds.Distinct().Count());
        var pooled = pooledA.Concat(pooledB).ToHashSet();
        Assert.Equal(pooled.Order(), sandboxIds.Where(pooled.Contains).Order());
        // Starts that found none ready may have waited for a replacement starting on their instance (a hit too).
        var (hitsA, hitsB) = ((await _a.ReactPoolAsync())!.Value.Int("hits"), (await _b.ReactPoolAsync())!.Value.Int("hits"));
        Assert.True(hitsA >= 2 && hitsB >= 2, $"hits: {hitsA} on A, {hitsB} on B");

        await using (var db = await _a.Service<IDbContextFactory<LivePreviewDbContext>>().CreateDbContextAsync())
        {
            var claims = await db.PoolEntries.Where(e => e.ClaimedAt != null).ToListAsync();
            Assert.Equal(hitsA + hitsB, claims.Count);
            Assert.Subset(claims.Select(c => c.SandboxId).ToHashSet(), pooled);
            Assert.Equal(claims.Count, claims.Select(c => c.ClaimedBy).Distinct().Count());
            Assert.Equal(claims.Count, claims.Select(c => c.SandboxId).Distinct().Count());
            // Each claimed member stays where it ran.
            var instances = await db.Sandboxes.Where(s => pooled.Contains(s.Id)).ToDictionaryAsync(s => s.Id, s => s.InstanceId);
            Assert.All(pooledA, id => Assert.Equal("lp-a", instances[id]));
            Assert.All(pooledB, id => Assert.Equal("lp-b", instances[id]));
        }
        for (var i = 0; i < sessions.Length; i++)
        {
            var host = i % 2 == 0 ? _a : _b;
            await host.WaitForPreviewAsync(sandboxIds[i]);
            await host.EndSessionAsync(sessions[i]);
        }
    }

    private static Dictionary<string, string?> Settings(string id, string database)
    {
        var settings = InstanceSettings.For(id, second: id == "lp-b", "lpinst_pool_" + id[^1], SharedAdminKey, Secret, database);
        // Eight session starts by one user at once: this test is about claims, not the per-user rate limit.
        settings["LivePreview:RateLimits:Enabled"] = "false";
        return settings;
    }
}
