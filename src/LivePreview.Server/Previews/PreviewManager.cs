using System.Collections.Concurrent;
using LivePreview.DevServers;
using LivePreview.Events;
using LivePreview.Frameworks;
using LivePreview.Persistence;
using LivePreview.Sandboxes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LivePreview.Previews;

/// <summary>
/// Owns the preview lifecycle: every state change of every preview goes through
/// <see cref="TransitionAsync"/>, which checks it is legal, persists it, publishes its event and
/// updates the in-memory table the proxy routes on. Nothing else writes preview state.
/// </summary>
public sealed partial class PreviewManager(
    IDbContextFactory<LivePreviewDbContext> dbFactory,
    ISandboxProvider provider,
    ReadinessProbe probe,
    IEventBus events,
    PreviewAddress address,
    Metrics.PreviewMetrics metrics,
    IOptions<PreviewOptions> options,
    Instances.InstanceIdentity instance,
    TimeProvider time,
    ILogger<PreviewManager> logger) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, PreviewEntry> _byId = new();
    private readonly ConcurrentDictionary<PreviewTarget, PreviewEntry> _byTarget = new();
    private readonly SemaphoreSlim _createGate = new(1, 1);

    public PreviewSnapshot? Find(PreviewTarget target) => _byTarget.TryGetValue(target, out var e) ? e.Snapshot : null;

    public PreviewSnapshot? Get(string id) => _byId.TryGetValue(id, out var e) ? e.Snapshot : null;

    public IReadOnlyList<PreviewSnapshot> ForSandbox(string sandboxId) =>
        _byId.Values.Where(e => e.Snapshot.SandboxId == sandboxId).Select(e => e.Snapshot).OrderBy(s => s.CreatedAt).ToList();

    public IReadOnlyList<string> LogLines(string id) =>
        _byId.TryGetValue(id, out var e) ? e.Supervisor?.LogLines ?? e.LastLogLines : [];

    /// <summary>Why the preview's dev server last ended (this process's memory only: a restart of the service forgets it).</summary>
    public DevServerCrash? LastCrash(string id) => _byId.TryGetValue(id, out var e) ? e.LastCrash : null;

    /// <summary>Idempotent per sandbox and port: returns the existing preview, restarting it if it was stopped or failed.</summary>
    public async Task<PreviewSnapshot> EnsureAsync(string sandboxId, FrameworkDefinition framework, int port, CancellationToken cancellationToken)
    {
        if (address.Mode == PreviewUrlMode.Path && framework.Kind == DevServerKind.Next && port == framework.DefaultPort)
        {
            throw new PreviewNotSupportedException(
                "Next.js cannot serve under a path prefix without editing its basePath; use host mode (LivePreview:Previews:Mode=Host) with a wildcard domain.");
        }
        return await EnsureCoreAsync(sandboxId, port, entry => CreateSupervisor(entry, framework), cancellationToken);
    }

    /// <summary>
    /// Like the template overload, for a sandbox made from a repository: its dev server is the <paramref name="plan"/>'s
    /// command, in its folder with its variables, on its port.
    /// </summary>
    public Task<PreviewSnapshot> EnsureAsync(string sandboxId, Repositories.DevServerPlan plan, CancellationToken cancellationToken) =>
        EnsureCoreAsync(sandboxId, plan.Port, entry => CreateSupervisor(entry, plan), cancellationToken);

    /// <summary>A preview of a port something else serves (no command): a repository sandbox's other ports.</summary>
    public Task<PreviewSnapshot> EnsureWatchedAsync(string sandboxId, int port, CancellationToken cancellationToken) =>
        EnsureCoreAsync(sandboxId, port, entry => CreateSupervisor(entry, (Repositories.DevServerPlan?)null), cancellationToken);

    /// <summary>The path prefix the dev server of <paramref name="port"/> is served under (path mode), null in host mode.</summary>
    public string? DevServerBasePath(string sandboxId, int port) => address.DevServerBasePath(sandboxId, port);

    private async Task<PreviewSnapshot> EnsureCoreAsync(string sandboxId, int port, Func<PreviewEntry, DevServerSupervisor> create, CancellationToken cancellationToken)
    {
        var entry = await GetOrCreateEntryAsync(new PreviewTarget(sandboxId, port), cancellationToken);
        await entry.Control.WaitAsync(cancellationToken);
        try
        {
            if (entry.Snapshot.Status is PreviewStatus.Error or PreviewStatus.Stopped)
            {
                // A supervisor that gave up has finished its loop; a retry starts a fresh one.
                if (Interlocked.Exchange(ref entry.Supervisor, null) is { } finished)
                {
                    await finished.DisposeAsync();
                }
                await TransitionAsync(entry, PreviewStatus.Pending, null, 0);
            }
            if (entry.Supervisor is null)
            {
                entry.Supervisor = create(entry);
                entry.Supervisor.Start();
            }
            return entry.Snapshot;
        }
        finally
        {
            entry.Control.Release();
        }
    }

    public async Task<PreviewSnapshot?> StopAsync(string id, CancellationToken cancellationToken)
    {
        if (!_byId.TryGetValue(id, out var entry))
        {
            return null;
        }
        await entry.Control.WaitAsync(cancellationToken);
        try
        {
            if (entry.Supervisor is { } supervisor)
            {
                entry.LastLogLines = supervisor.LogLines;
                entry.Supervisor = null;
                await supervisor.DisposeAsync();
            }
            if (entry.Snapshot.Status != PreviewStatus.Stopped)
            {
                await TransitionAsync(entry, PreviewStatus.Stopped, null, entry.Snapshot.Restarts);
            }
            return entry.Snapshot;
        }
        finally
        {
            entry.Control.Release();
        }
    }

    public async Task StopSandboxAsync(string sandboxId, CancellationToken cancellationToken)
    {
        foreach (var preview in ForSandbox(sandboxId))
        {
            await StopAsync(preview.Id, cancellationToken);
        }
    }

    /// <summary>Stops and removes every preview of a deleted sandbox.</summary>
    public async Task ForgetSandboxAsync(string sandboxId, CancellationToken cancellationToken)
    {
        await StopSandboxAsync(sandboxId, cancellationToken);
        foreach (var preview in ForSandbox(sandboxId))
        {
            _byId.TryRemove(preview.Id, out _);
            _byTarget.TryRemove(new PreviewTarget(preview.SandboxId, preview.Port), out _);
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.Previews.Where(p => p.SandboxId == sandboxId).ExecuteDeleteAsync(cancellationToken);
        await db.PreviewGrants.Where(g => g.SandboxId == sandboxId).ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>
    /// Loads stored previews at start-up. No dev server survives the service (they die with it), so a
    /// preview stored as starting or ready is not running any more: it goes back to pending until the
    /// sandbox reconciliation starts it again — never "ready" for a dead server.
    /// </summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // This instance's previews only: another instance serves its own (and one of them forwards here for ours).
        var local = db.Sandboxes.Where(s => s.InstanceId == instance.Id).Select(s => s.Id);
        foreach (var record in await db.Previews.AsNoTracking().Where(p => local.Contains(p.SandboxId)).ToListAsync(cancellationToken))
        {
            // URLs follow the current settings and listening port, which may differ from the last run's.
            var entry = new PreviewEntry(PreviewSnapshot.From(record) with { Url = address.UrlFor(record.SandboxId, record.Port) });
            _byId[record.Id] = entry;
            _byTarget[new PreviewTarget(record.SandboxId, record.Port)] = entry;
            if (record.Status is PreviewStatus.Starting or PreviewStatus.Ready)
            {
                await ForceStatusAsync(entry, PreviewStatus.Pending, "The service restarted; the dev server will be started again.");
            }
        }
    }

    /// <summary>
    /// The port whose preview runs the dev server itself; a preview of any other port only watches what something else
    /// serves there (a port found by <see cref="PortWatcher"/>, or one asked for with POST /api/v1/preview).
    /// </summary>
    public static bool IsDevServerPort(FrameworkDefinition framework, int port) => port == framework.DefaultPort;

    private DevServerSupervisor CreateSupervisor(PreviewEntry entry, FrameworkDefinition framework)
    {
        var s = entry.Snapshot;
        var basePath = address.DevServerBasePath(s.SandboxId, s.Port);
        var command = IsDevServerPort(framework, s.Port) ? framework.DevServerCommand(s.Port, basePath) : null;
        var spec = new SupervisorSpec(s.Id, s.SandboxId, s.Port, command, basePath ?? "/");
        var context = new SupervisorContext(provider, probe, events, options.Value, time, logger);
        return new DevServerSupervisor(spec, context, (status, error, restarts) => TransitionAsync(entry, status, error, restarts), crash => entry.LastCrash = crash);
    }

    private DevServerSupervisor CreateSupervisor(PreviewEntry entry, Repositories.DevServerPlan? plan)
    {
        var s = entry.Snapshot;
        var basePath = address.DevServerBasePath(s.SandboxId, s.Port);
        var spec = new SupervisorSpec(s.Id, s.SandboxId, s.Port, plan?.Command, basePath ?? "/", plan?.WorkingDirectory, plan?.Environment);
        var context = new SupervisorContext(provider, probe, events, options.Value, time, logger);
        return new DevServerSupervisor(spec, context, (status, error, restarts) => TransitionAsync(entry, status, error, restarts), crash => entry.LastCrash = crash);
    }

    private async Task<PreviewEntry> GetOrCreateEntryAsync(PreviewTarget target, CancellationToken cancellationToken)
    {
        if (_byTarget.TryGetValue(target, out var existing))
        {
            return existing;
        }
        await _createGate.WaitAsync(cancellationToken);
        try
        {
            if (_byTarget.TryGetValue(target, out existing))
            {
                return existing;
            }
            var now = time.GetUtcNow();
            var record = new PreviewRecord
            {
                Id = "pv" + SandboxId.New()[..10],
                SandboxId = target.SandboxId,
                Port = target.Port,
                Url = address.UrlFor(target.SandboxId, target.Port),
                Status = PreviewStatus.Pending,
                CreatedAt = now,
                UpdatedAt = now,
            };
            await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
            {
                db.Previews.Add(record);
                await db.SaveChangesAsync(cancellationToken);
            }
            var entry = new PreviewEntry(PreviewSnapshot.From(record));
            _byId[record.Id] = entry;
            _byTarget[target] = entry;
            await PublishAsync(entry.Snapshot);
            return entry;
        }
        finally
        {
            _createGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var entry in _byId.Values)
        {
            if (Interlocked.Exchange(ref entry.Supervisor, null) is { } supervisor)
            {
                await supervisor.DisposeAsync();
            }
        }
    }
}
