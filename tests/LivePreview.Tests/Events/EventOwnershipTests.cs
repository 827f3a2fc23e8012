using LivePreview.Events;
using LivePreview.Persistence;

namespace LivePreview.Tests.Events;

/// <summary>Who may read an event, decided when it is stored: the bus on a real SQLite file, no service around it.</summary>
public class EventOwnershipTests : IAsyncLifetime
{
    protected virtual bool OnPostgres => false;

    private const string Alices = "aaaaaaaaaaaa";
    private const string Bobs = "bbbbbbbbbbbb";
    private const string Pooled = "pppppppppppp";

    private EventDatabase _db = null!;

    public async Task InitializeAsync()
    {
        _db = await EventDatabase.CreateAsync(OnPostgres);
        await InsertSandboxAsync(Alices, "alice");
        await InsertSandboxAsync(Bobs, "bob");
        await InsertSandboxAsync(Pooled, owner: null);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task An_event_belongs_to_its_sandboxs_owner_and_one_without_an_owned_sandbox_to_admins_only()
    {
        var bus = _db.CreateBus(TimeProvider.System);

        Assert.Equal("alice", (await bus.PublishAsync(EventFixtures.FileChanged(Alices, 1))).Owner);
        Assert.Equal("bob", (await bus.PublishAsync(EventFixtures.FileChanged(Bobs, 1))).Owner);
        Assert.Null((await bus.PublishAsync(EventFixtures.FileChanged(Pooled, 1))).Owner);
        Assert.Null((await bus.PublishAsync(new EventDraft(EventTypes.SnapshotBuildStarted, EntityTypes.Snapshot, "react-vite", null))).Owner);

        var alices = await _db.Store.ReadAfterAsync(0, new EventFilter(Owner: "alice"), 100, CancellationToken.None);
        Assert.Equal([Alices], alices.Select(e => e.SandboxId));
        Assert.Equal(4, (await _db.Store.ReadAfterAsync(0, EventFilter.All, 100, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task A_deleted_sandboxs_last_event_still_belongs_to_its_owner()
    {
        var bus = _db.CreateBus(TimeProvider.System);
        await bus.PublishAsync(EventFixtures.FileChanged(Alices, 1));
        await using (var db = await _db.Factory.CreateDbContextAsync())
        {
            db.Sandboxes.Remove(db.Sandboxes.Single(s => s.Id == Alices));
            await db.SaveChangesAsync();
        }

        var deleted = await bus.PublishAsync(new EventDraft(EventTypes.SandboxDeleted, EntityTypes.Sandbox, Alices, Alices));

        Assert.Equal("alice", deleted.Owner);
    }

    [Fact]
    public async Task A_live_subscriber_for_one_user_gets_only_their_events_also_when_it_names_someone_elses_sandbox()
    {
        var bus = _db.CreateBus(TimeProvider.System);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var everything = bus.SubscribeAsync(new EventFilter(Owner: "bob"), cts.Token).GetAsyncEnumerator(cts.Token);
        var onAlices = bus.SubscribeAsync(new EventFilter(Alices, Owner: "bob"), cts.Token).GetAsyncEnumerator(cts.Token);
        var admin = bus.SubscribeAsync(new EventFilter(Alices), cts.Token).GetAsyncEnumerator(cts.Token);

        var alices = await bus.PublishAsync(EventFixtures.FileChanged(Alices, 1));
        await bus.PublishAsync(EventFixtures.FileChanged(Pooled, 1));
        var bobs = await bus.PublishAsync(EventFixtures.FileChanged(Bobs, 1));

        Assert.True(await everything.MoveNextAsync());
        Assert.Equal(bobs.Sequence, everything.Current.Sequence);
        Assert.True(await admin.MoveNextAsync());
        Assert.Equal(alices.Sequence, admin.Current.Sequence);
        // Nothing of bob's matches a subscription on alice's sandbox, and nothing of alice's is bob's. The bus delivers
        // before PublishAsync returns, so an event in its buffer would make this read complete at once.
        var next = onAlices.MoveNextAsync();
        Assert.False(next.IsCompleted);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await next);
    }

    private async Task InsertSandboxAsync(string id, string? owner)
    {
        await using var db = await _db.Factory.CreateDbContextAsync();
        db.Sandboxes.Add(new SandboxRecord
        {
            Id = id, Framework = "react-vite", Provider = "local", Owner = owner, Status = SandboxStatus.Running,
            CreatedAt = DateTimeOffset.UnixEpoch, UpdatedAt = DateTimeOffset.UnixEpoch,
        });
        await db.SaveChangesAsync();
    }
}

/// <summary>The same tests on a real PostgreSQL 15.</summary>
public sealed class EventOwnershipOnPostgreSqlTests : EventOwnershipTests
{
    protected override bool OnPostgres => true;
}
