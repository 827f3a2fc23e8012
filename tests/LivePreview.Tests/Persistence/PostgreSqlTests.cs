using LivePreview.Events;
using LivePreview.Persistence;
using LivePreview.Tests.Events;
using LivePreview.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LivePreview.Tests.Persistence;

/// <summary>
/// What only PostgreSQL can get wrong, always on a real PostgreSQL 15: its migrations, and the event sequence, which
/// an identity column hands out in call order but transactions may commit in another.
/// </summary>
public sealed class PostgreSqlTests : IAsyncLifetime
{
    private TestDatabase _database = null!;
    private readonly List<ServiceProvider> _instances = [];

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync("unused.db", postgres: true);

    public async Task DisposeAsync()
    {
        foreach (var instance in _instances)
        {
            await instance.DisposeAsync();
        }
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task The_migrations_apply_on_an_empty_database_and_leave_nothing_pending()
    {
        var services = Instance();
        await services.MigrateDatabaseAsync(CancellationToken.None);

        await using var db = await services.GetRequiredService<IDbContextFactory<LivePreviewDbContext>>().CreateDbContextAsync();
        Assert.IsType<PostgreSqlDbContext>(db);
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.Contains(await db.Database.GetAppliedMigrationsAsync(), m => m.EndsWith("_Initial", StringComparison.Ordinal));
        Assert.False(db.Database.HasPendingModelChanges());
        var now = new DateTimeOffset(2026, 12, 3, 6, 0, 0, TimeSpan.Zero);
        db.Sandboxes.Add(new SandboxRecord { Id = "pgpgpgpgpgpg", Framework = "react-vite", Provider = "local", Status = SandboxStatus.Running, CreatedAt = now, UpdatedAt = now });
        await db.SaveChangesAsync();
        Assert.Equal(now, (await db.Sandboxes.AsNoTracking().SingleAsync(s => s.CreatedAt <= now)).CreatedAt);
    }

    [Fact]
    public async Task Migrating_twice_is_a_no_op()
    {
        await Instance().MigrateDatabaseAsync(CancellationToken.None);
        await Instance().MigrateDatabaseAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_reader_resuming_from_its_cursor_while_two_instances_publish_misses_no_event_and_sees_sequences_only_grow()
    {
        var first = Instance();
        await first.MigrateDatabaseAsync(CancellationToken.None);
        IDbContextFactory<LivePreviewDbContext>[] factories = [Factory(first), Factory(Instance())];
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var buses = factories.Select(f => new InProcessEventBus(f, Options.Create(new EventBusOptions()), time, NullLogger<InProcessEventBus>.Instance)).ToArray();
        var store = new EventStore(factories[0]);
        const int Publishers = 8, PerPublisher = 40;

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var publishing = Enumerable.Range(0, Publishers).Select(p => Task.Run(async () =>
        {
            await start.Task;
            for (var i = 0; i < PerPublisher; i++)
            {
                await buses[p % buses.Length].PublishAsync(new EventDraft("TEST_EVENT", "sandbox", $"p{p}", null, new { i }));
            }
        })).ToArray();
        var done = Task.WhenAll(publishing);
        var seen = new List<long>();
        start.SetResult();
        // A reader asks for "everything after the last sequence I saw", as a resuming client does, while publishers commit.
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (seen.Count < Publishers * PerPublisher && DateTime.UtcNow < deadline)
        {
            var cursor = seen.Count == 0 ? 0 : seen[^1];
            seen.AddRange((await store.ReadAfterAsync(cursor, EventFilter.All, 1000, CancellationToken.None)).Select(e => e.Sequence));
        }
        await done;

        var stored = (await store.ReadAfterAsync(0, EventFilter.All, int.MaxValue, CancellationToken.None)).Select(e => e.Sequence).ToList();
        Assert.Equal(Publishers * PerPublisher, stored.Count);
        Assert.True(seen.Zip(seen.Skip(1)).All(pair => pair.First < pair.Second), "the reader saw a sequence go backwards or repeat");
        Assert.Equal(stored, seen);
    }

    private ServiceProvider Instance()
    {
        var services = _database.CreateServices();
        _instances.Add(services);
        return services;
    }

    private static IDbContextFactory<LivePreviewDbContext> Factory(ServiceProvider services) =>
        services.GetRequiredService<IDbContextFactory<LivePreviewDbContext>>();
}
