using LivePreview.Persistence;
using LivePreview.WarmPool;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LivePreview.Tests.WarmPool;

/// <summary>The claim is a conditional UPDATE on a real SQLite file, raced from many tasks at once.</summary>
public sealed class PoolStoreTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("livepreview-pool-").FullName;
    private ServiceProvider _services = null!;
    private PoolStore _store = null!;
    private readonly DateTimeOffset _now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    public async Task InitializeAsync()
    {
        _services = new ServiceCollection()
            .AddDbContextFactory<LivePreviewDbContext>(o => o.UseSqlite($"Data Source={Path.Combine(_directory, "pool.db")};Pooling=False"))
            .BuildServiceProvider();
        await _services.MigrateDatabaseAsync(CancellationToken.None);
        _store = new PoolStore(_services.GetRequiredService<IDbContextFactory<LivePreviewDbContext>>());
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Eight_concurrent_claims_on_two_members_give_each_member_to_exactly_one_session()
    {
        string[] members = ["aaaaaaaaaaaa", "bbbbbbbbbbbb"];
        foreach (var id in members)
        {
            await _store.InsertAsync(new PoolMember(id, "react-vite", _now, _now, null), CancellationToken.None);
        }

        // Every session tries every member, as a claim does when its first candidate is taken.
        var sessions = Enumerable.Range(0, 8).Select(i => $"ps{i:0000000000}").ToList();
        var results = await Task.WhenAll(sessions.Select(session => Task.Run(async () =>
        {
            foreach (var id in members)
            {
                if (await _store.TryClaimAsync(id, session, _now, CancellationToken.None))
                {
                    return (session, id);
                }
            }
            return (session, (string?)null);
        })));

        var winners = results.Where(r => r.Item2 is not null).ToList();
        Assert.Equal(2, winners.Count);
        Assert.Equal(members.Order(), winners.Select(w => w.Item2!).Order());
        var rows = await _store.ListAsync(CancellationToken.None);
        Assert.All(rows, r => Assert.Equal(winners.Single(w => w.Item2 == r.SandboxId).session, r.ClaimedBy));
    }

    [Fact]
    public async Task An_eviction_and_a_claim_racing_for_one_member_never_both_win()
    {
        for (var i = 0; i < 20; i++)
        {
            var id = $"m{i:00000000000}";
            await _store.InsertAsync(new PoolMember(id, "react-vite", _now, _now, null), CancellationToken.None);
            var claim = Task.Run(() => _store.TryClaimAsync(id, "ps0000000001", _now, CancellationToken.None));
            var evict = Task.Run(() => _store.TryRetireAsync(id, EvictionReason.MaxIdleAge, _now, CancellationToken.None));

            Assert.True(await claim ^ await evict);
        }
    }

    [Fact]
    public async Task An_evicted_member_cannot_be_claimed_and_a_claimed_one_cannot_be_evicted()
    {
        await _store.InsertAsync(new PoolMember("aaaaaaaaaaaa", "react-vite", _now, _now, null), CancellationToken.None);
        await _store.InsertAsync(new PoolMember("bbbbbbbbbbbb", "react-vite", _now, _now, null), CancellationToken.None);

        Assert.True(await _store.TryRetireAsync("aaaaaaaaaaaa", EvictionReason.PreviewFailed, _now, CancellationToken.None));
        Assert.False(await _store.TryClaimAsync("aaaaaaaaaaaa", "ps0000000001", _now, CancellationToken.None));
        Assert.True(await _store.TryClaimAsync("bbbbbbbbbbbb", "ps0000000001", _now, CancellationToken.None));
        Assert.False(await _store.TryRetireAsync("bbbbbbbbbbbb", EvictionReason.MaxIdleAge, _now, CancellationToken.None));

        var evicted = (await _store.ListAsync(CancellationToken.None)).Single(r => r.SandboxId == "aaaaaaaaaaaa");
        Assert.Equal(nameof(EvictionReason.PreviewFailed), evicted.EvictionReason);
        Assert.Null(evicted.ClaimedAt);
    }
}
