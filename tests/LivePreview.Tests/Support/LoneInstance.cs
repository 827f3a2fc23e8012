using LivePreview.Events;
using LivePreview.Hosting;
using LivePreview.Instances;
using LivePreview.Persistence;
using LivePreview.Sandboxes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LivePreview.Tests.Support;

/// <summary>
/// The instance services of one instance on a fresh, migrated database of its own, for components tested without a
/// whole service (bUnit): the real <see cref="InstanceClient"/>, which finds no other instance and so acts here.
/// </summary>
internal sealed class LoneInstance : IAsyncDisposable
{
    private readonly string _directory;
    private readonly TestDatabase _database;
    private readonly ServiceProvider _services;
    private readonly InstanceForwarding _forwarding;

    private LoneInstance(string directory, TestDatabase database, ServiceProvider services, IEventBus events)
    {
        (_directory, _database, _services) = (directory, database, services);
        var options = Options.Create(new InstanceOptions { Id = "lone" });
        var identity = new InstanceIdentity(options, Options.Create(new LivePreviewOptions { DataDirectory = directory }));
        var factory = services.GetRequiredService<IDbContextFactory<LivePreviewDbContext>>();
        var registry = new InstanceRegistry(factory, identity, options, Options.Create(new SandboxOptions()), events, services, TimeProvider.System,
            NullLogger<InstanceRegistry>.Instance);
        var signature = new ForwardSignature(options, TimeProvider.System);
        _forwarding = new InstanceForwarding(identity, signature);
        Client = new InstanceClient(new InstanceDirectory(factory, identity, registry, options, TimeProvider.System), identity, signature, _forwarding);
    }

    public InstanceClient Client { get; }

    public static async Task<LoneInstance> CreateAsync(IEventBus events)
    {
        var directory = Directory.CreateTempSubdirectory("livepreview-lone-").FullName;
        var database = await TestDatabase.CreateAsync(Path.Combine(directory, "lone.db"));
        var services = database.CreateServices();
        await services.MigrateDatabaseAsync(CancellationToken.None);
        return new LoneInstance(directory, database, services, events);
    }

    public async ValueTask DisposeAsync()
    {
        _forwarding.Dispose();
        await _services.DisposeAsync();
        await _database.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
