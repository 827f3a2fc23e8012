using LivePreview.Events;
using LivePreview.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LivePreview.Tests.Events;

/// <summary>A migrated SQLite database in a temporary folder, with a bus and a store on it, without the rest of the service.</summary>
internal sealed class EventDatabase : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly string _directory;

    private EventDatabase(ServiceProvider services, string directory)
    {
        _services = services;
        _directory = directory;
        Store = new EventStore(Factory);
    }

    public IDbContextFactory<LivePreviewDbContext> Factory => _services.GetRequiredService<IDbContextFactory<LivePreviewDbContext>>();

    public EventStore Store { get; }

    public static async Task<EventDatabase> CreateAsync()
    {
        var directory = Directory.CreateTempSubdirectory("livepreview-events-").FullName;
        var services = new ServiceCollection()
            .AddDbContextFactory<LivePreviewDbContext>(o => o.UseSqlite($"Data Source={Path.Combine(directory, "events.db")};Pooling=False"))
            .BuildServiceProvider();
        await services.MigrateDatabaseAsync(CancellationToken.None);
        return new EventDatabase(services, directory);
    }

    public IEventBus CreateBus(TimeProvider time, EventBusOptions? options = null) =>
        new InProcessEventBus(Factory, Options.Create(options ?? new EventBusOptions()), time, NullLogger<InProcessEventBus>.Instance);

    public async Task<List<long>> SequencesAsync() =>
        (await Store.ReadAfterAsync(0, EventFilter.All, int.MaxValue, CancellationToken.None)).Select(e => e.Sequence).ToList();

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
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
