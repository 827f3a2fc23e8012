using LivePreview.Events;
using LivePreview.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Events;

/// <summary>
/// A migrated database (SQLite in a temporary folder, or PostgreSQL: <see cref="TestDatabase"/>), with a bus and a store
/// on it, without the rest of the service.
/// </summary>
internal sealed class EventDatabase : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly string _directory;
    private readonly TestDatabase _database;

    private EventDatabase(ServiceProvider services, string directory, TestDatabase database)
    {
        _services = services;
        _directory = directory;
        _database = database;
        Store = new EventStore(Factory);
    }

    public IDbContextFactory<LivePreviewDbContext> Factory => _services.GetRequiredService<IDbContextFactory<LivePreviewDbContext>>();

    public EventStore Store { get; }

    public static async Task<EventDatabase> CreateAsync(bool postgres = false)
    {
        var directory = Directory.CreateTempSubdirectory("livepreview-events-").FullName;
        var database = await TestDatabase.CreateAsync(Path.Combine(directory, "events.db"), postgres);
        var services = database.CreateServices();
        await services.MigrateDatabaseAsync(CancellationToken.None);
        return new EventDatabase(services, directory, database);
    }

    /// <summary>A second service instance on the same database (its own context factory and connections).</summary>
    public ServiceProvider CreateInstance() => _database.CreateServices();

    public IEventBus CreateBus(TimeProvider time, EventBusOptions? options = null) =>
        new InProcessEventBus(Factory, Options.Create(options ?? new EventBusOptions()), time, NullLogger<InProcessEventBus>.Instance);

    public async Task<List<long>> SequencesAsync() =>
        (await Store.ReadAfterAsync(0, EventFilter.All, int.MaxValue, CancellationToken.None)).Select(e => e.Sequence).ToList();

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await _database.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>Options that never change, for constructing services by hand.</summary>
internal sealed class FixedOptionsMonitor<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;

    public T Get(string? name) => value;

    public IDisposable? OnChange(Action<T, string?> listener) => null;
}

/// <summary>A host that has already started and is not stopping.</summary>
internal sealed class StartedLifetime : Microsoft.Extensions.Hosting.IHostApplicationLifetime
{
    public CancellationToken ApplicationStarted { get; } = new(canceled: true);

    public CancellationToken ApplicationStopping => CancellationToken.None;

    public CancellationToken ApplicationStopped => CancellationToken.None;

    public void StopApplication()
    {
    }
}
