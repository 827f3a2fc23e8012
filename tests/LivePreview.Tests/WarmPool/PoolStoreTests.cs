using LivePreview.Persistence;
using LivePreview.WarmPool;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.WarmPool;

/// <summary>The claim is a conditional UPDATE on a real SQLite file (or PostgreSQL), raced from many tasks at once.</summary>
public class PoolStoreTests : IAsyncLifetime
{
    protected virtual bool OnPostgres => false;

    private TestDatabase _database = null!;
    private readonly string _directory = Directory.CreateTempSubdirectory("livepreview-pool-").FullName;
    private ServiceProvider _services = null!;
    private PoolStore _store = null!;
    private readonly DateTimeOffset _now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private static readonly PoolClaimant Alice = new("alice", 100);

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(Path.Combine(_directory, "pool.db"), OnPostgres);
        _services = _database.CreateServices();
        await _services.MigrateDatabaseAsync(CancellationToken.None);
        _store = new PoolStore(_services.GetRequiredService<IDbContextFactory<LivePreviewDbContext>>(),
            new LivePreview.Instances.InstanceIdentity(Microsoft.Extensions.Options.Options.Create(new LivePreview.Instances.InstanceOptions { Id = "pool-test" }),
                Microsoft.Extensions.Options.Options.Create(new LivePreview.Hosting.LivePreviewOptions { DataDirectory = _directory })));
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _database.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Eight_concurrent_claims_on_two_members_give_each_member_to_exactly_one_session()
    {
        string[] members = ["aaaaaaaaaaaa", "bbbbbbbbbbbb"];
        foreach (var id in members)
        {
            await InsertMemberAsync(id);
        }

        // Every session tries every member, as a claim does when its first candidate is taken.
        var sessions = Enumerable.Range(0, 8).Select(i => $"ps{i:0000000000}").ToList();
        var results = await Task.WhenAll(sessions.Select(session => Task.Run(async () =>
        {
            foreach (var id in members)
            {
                if (await _store.TryClaimAsync(id, session, Alice, _now, CancellationToken.None) == ClaimOutcome.Claimed)
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
    public async Task Eight_concurrent_claims_of_eight_members_by_a_user_with_room_for_one_more_take_exactly_one()
    {
        await InsertSandboxAsync("owned0000000", owner: "bob");
        var members = Enumerable.Range(0, 8).Select(i => $"member{i:000000}").ToList();
        foreach (var id in members)
        {
            await InsertMemberAsync(id);
        }
        var bob = new PoolClaimant("bob", PerUserLimit: 2);

        var outcomes = await Task.WhenAll(members.Select((id, i) => Task.Run(() => _store.TryClaimAsync(id, $"ps{i:0000000000}", bob, _now, CancellationToken.None))));

        Assert.Equal(1, outcomes.Count(o => o == ClaimOutcome.Claimed));
        Assert.Equal(7, outcomes.Count(o => o == ClaimOutcome.OverQuota));
        await using var db = await Factory.CreateDbContextAsync();
        Assert.Equal(2, await db.Sandboxes.CountAsync(s => s.Owner == "bob"));
    }

    [Fact]
    public async Task An_eviction_and_a_claim_racing_for_one_member_never_both_win()
    {
        for (var i = 0; i < 20; i++)
        {
            var id = $"m{i:00000000000}";
            await InsertMemberAsync(id);
            var claim = Task.Run(async () => await _store.TryClaimAsync(id, "ps0000000001", Alice, _now, CancellationToken.None) == ClaimOutcome.Claimed);
            var evict = Task.Run(() => _store.TryRetireAsync(id, EvictionReason.MaxIdleAge, _now, CancellationToken.None));

            Assert.True(await claim ^ await evict);
        }
    }

    [Fact]
    public async Task An_evicted_member_cannot_be_claimed_and_a_claimed_one_cannot_be_evicted()
    {
        await InsertMemberAsync("aaaaaaaaaaaa");
        await InsertMemberAsync("bbbbbbbbbbbb");

        Assert.True(await _store.TryRetireAsync("aaaaaaaaaaaa", EvictionReason.PreviewFailed, _now, CancellationToken.None));
        Assert.Equal(ClaimOutcome.Taken, await _store.TryClaimAsync("aaaaaaaaaaaa", "ps0000000001", Alice, _now, CancellationToken.None));
        Assert.Equal(ClaimOutcome.Claimed, await _store.TryClaimAsync("bbbbbbbbbbbb", "ps0000000001", Alice, _now, CancellationToken.None));
        Assert.False(await _store.TryRetireAsync("bbbbbbbbbbbb", EvictionReason.MaxIdleAge, _now, CancellationToken.None));

        var evicted = (await _store.ListAsync(CancellationToken.None)).Single(r => r.SandboxId == "aaaaaaaaaaaa");
        Assert.Equal(nameof(EvictionReason.PreviewFailed), evicted.EvictionReason);
        Assert.Null(evicted.ClaimedAt);
    }

    [Fact]
    public async Task A_claim_makes_the_sandbox_the_claimants_and_re_owns_its_earlier_events_in_the_same_step()
    {
        await InsertMemberAsync("aaaaaaaaaaaa");
        await InsertEventAsync("aaaaaaaaaaaa");
        await InsertEventAsync("bbbbbbbbbbbb");

        Assert.Equal(ClaimOutcome.Claimed, await _store.TryClaimAsync("aaaaaaaaaaaa", "ps0000000001", Alice, _now, CancellationToken.None));

        await using var db = await Factory.CreateDbContextAsync();
        Assert.Equal("alice", (await db.Sandboxes.SingleAsync(s => s.Id == "aaaaaaaaaaaa")).Owner);
        Assert.Equal("alice", (await db.Events.SingleAsync(e => e.SandboxId == "aaaaaaaaaaaa")).Owner);
        Assert.Null((await db.Events.SingleAsync(e => e.SandboxId == "bbbbbbbbbbbb")).Owner);
    }

    [Fact]
    public async Task A_claim_over_the_claimants_quota_is_refused_and_leaves_the_member_unclaimed_and_ownerless()
    {
        await InsertSandboxAsync("owned000000a", "alice");
        await InsertMemberAsync("aaaaaaaaaaaa");

        Assert.Equal(ClaimOutcome.OverQuota, await _store.TryClaimAsync("aaaaaaaaaaaa", "ps0000000001", Alice with { PerUserLimit = 1 }, _now, CancellationToken.None));

        await using var db = await Factory.CreateDbContextAsync();
        Assert.Null((await db.Sandboxes.SingleAsync(s => s.Id == "aaaaaaaaaaaa")).Owner);
        Assert.Null((await db.PoolEntries.SingleAsync(e => e.SandboxId == "aaaaaaaaaaaa")).ClaimedAt);
    }

    [Fact]
    public async Task Eight_concurrent_claims_by_one_user_with_room_for_two_take_exactly_two_members()
    {
        var members = Enumerable.Range(0, 8).Select(i => $"q{i:00000000000}").ToList();
        foreach (var id in members)
        {
            await InsertMemberAsync(id);
        }

        var outcomes = await Task.WhenAll(members.Select((id, i) =>
            Task.Run(() => _store.TryClaimAsync(id, $"ps{i:0000000000}", Alice with { PerUserLimit = 2 }, _now, CancellationToken.None))));

        Assert.Equal(2, outcomes.Count(o => o == ClaimOutcome.Claimed));
        Assert.Equal(6, outcomes.Count(o => o == ClaimOutcome.OverQuota));
        await using var db = await Factory.CreateDbContextAsync();
        Assert.Equal(2, await db.Sandboxes.CountAsync(s => s.Owner == "alice"));
        Assert.Equal(2, await db.PoolEntries.CountAsync(e => e.ClaimedAt != null));
    }

    private IDbContextFactory<LivePreviewDbContext> Factory => _services.GetRequiredService<IDbContextFactory<LivePreviewDbContext>>();

    /// <summary>A pooled sandbox as the filler leaves it: the pool's row and an ownerless sandbox row.</summary>
    private async Task InsertMemberAsync(string id)
    {
        await InsertSandboxAsync(id, owner: null);
        await _store.InsertAsync(new PoolMember(id, "react-vite", _now, _now, null), CancellationToken.None);
    }

    private async Task InsertSandboxAsync(string id, string? owner)
    {
        await using var db = await Factory.CreateDbContextAsync();
        db.Sandboxes.Add(new SandboxRecord { Id = id, Framework = "react-vite", Provider = "local", Owner = owner, Status = SandboxStatus.Running, CreatedAt = _now, UpdatedAt = _now });
        await db.SaveChangesAsync();
    }

    private async Task InsertEventAsync(string sandboxId)
    {
        await using var db = await Factory.CreateDbContextAsync();
        db.Events.Add(new EventRecord { Type = "DEV_SERVER_LOG", EntityType = "preview", EntityId = "pv", SandboxId = sandboxId, Timestamp = _now });
        await db.SaveChangesAsync();
    }
}

/// <summary>The same races on a real PostgreSQL 15, where READ COMMITTED and row locks (not one writer lock) decide them.</summary>
public sealed class PoolStoreOnPostgreSqlTests : PoolStoreTests
{
    protected override bool OnPostgres => true;
}
