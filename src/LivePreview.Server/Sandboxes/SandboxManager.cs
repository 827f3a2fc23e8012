using System.Collections.Concurrent;
using LivePreview.Events;
using LivePreview.Frameworks;
using LivePreview.Hosting;
using LivePreview.Persistence;
using LivePreview.Previews;
using LivePreview.Snapshots;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LivePreview.Sandboxes;

/// <summary>
/// Owns the sandbox lifecycle (creating → running → stopped / error, then deleted): snapshot,
/// provider, the default preview, and an event for every transition.
/// </summary>
public sealed partial class SandboxManager(
    IDbContextFactory<LivePreviewDbContext> dbFactory,
    ISnapshotStore snapshots,
    ISandboxProvider provider,
    PreviewManager previews,
    IEventBus events,
    BackgroundWork background,
    IOptions<SandboxOptions> options,
    IOptions<QuotaOptions> quotas,
    IEnumerable<ISandboxAdmission> admissions,
    IEnumerable<ISandboxStopHook> stopHooks,
    Repositories.RepositoryServices repositories,
    Metrics.PreviewMetrics metrics,
    Instances.InstanceIdentity instance,
    TimeProvider time,
    ILogger<SandboxManager> logger)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new();

    /// <summary>
    /// A sandbox for <paramref name="owner"/> (null: the service's own, e.g. a warm-pool member), within the
    /// owner's quota <see cref="QuotaOptions.MaxSandboxesPerUser"/>; code acting for a signed-in user calls
    /// <see cref="LivePreview.WarmPool.IWarmPool.CreateForAsync"/> (a pooled sandbox when one is ready), which knows that admins are exempt.
    /// </summary>
    public Task<SandboxSnapshot> CreateAsync(FrameworkDefinition framework, string? owner, CancellationToken cancellationToken) =>
        CreateAsync(framework, SandboxId.New(), owner, quotas.Value.MaxSandboxesPerUser, cancellationToken);

    /// <summary>With an id chosen by the caller, who can record it before the sandbox exists (the warm pool does, so a crash leaves no orphan).</summary>
    public Task<SandboxSnapshot> CreateAsync(FrameworkDefinition framework, string id, string? owner, CancellationToken cancellationToken) =>
        CreateAsync(framework, id, owner, quotas.Value.MaxSandboxesPerUser, cancellationToken);

    /// <param name="perUserLimit">The most sandboxes <paramref name="owner"/> may hold, this one included (<see cref="int.MaxValue"/>: no per-user limit).</param>
    public async Task<SandboxSnapshot> CreateAsync(FrameworkDefinition framework, string id, string? owner, int perUserLimit, CancellationToken cancellationToken)
    {
        if (!SandboxId.IsValid(id))
        {
            throw new ArgumentException($"'{id}' is not a sandbox id.", nameof(id));
        }
        await provider.EnsureAvailableAsync(cancellationToken);
        foreach (var admission in admissions)
        {
            admission.EnsureRoomForOneMore();
        }
        var now = time.GetUtcNow();
        var record = new SandboxRecord
        {
            Id = id, Framework = framework.Name, Provider = provider.Name, Owner = owner,
            Status = SandboxStatus.Creating, CreatedAt = now, UpdatedAt = now, InstanceId = instance.Id,
        };
        if (!await TryInsertBelowLimitAsync(record, perUserLimit, cancellationToken))
        {
            throw await RefusalAsync(owner, perUserLimit, cancellationToken);
        }
        await PublishAsync(EventTypes.SandboxCreating, record);
        background.Run($"provision {record.Id}", ct => ProvisionAsync(record.Id, framework, ct));
        return SandboxSnapshot.From(record);
    }

    /// <summary>
    /// Stores the sandbox only while this instance runs fewer than MaxSandboxes (a limit of the machine, so per instance)
    /// and its owner holds fewer than
    /// <paramref name="perUserLimit"/>, counting and inserting in one transaction that nobody else admits a sandbox in:
    /// on SQLite the write lock is taken before the counts are evaluated; on PostgreSQL, whose READ COMMITTED would let
    /// two inserts each count the other's row as absent, the transaction first takes the admission advisory lock (also
    /// taken by pool claims). So two creates (also from two instances sharing the database) can never both see room for
    /// the last one. Deleted sandboxes lose their row; a row marked Deleted (no code does that today) would not count
    /// against its owner. Identifiers are quoted and nullable parameters cast so the one statement is valid on both.
    /// </summary>
    private async Task<bool> TryInsertBelowLimitAsync(SandboxRecord record, int perUserLimit, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var created = (long)DateTimeOffsetConverter.ConvertToProvider(record.CreatedAt)!;
        var updated = (long)DateTimeOffsetConverter.ConvertToProvider(record.UpdatedAt)!;
        var status = record.Status.ToString();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.LockForTransactionAsync(DatabaseLocks.SandboxAdmission, cancellationToken);
        var inserted = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO sandboxes ("Id", "Framework", "Provider", "SnapshotId", "Owner", "Status", "Error", "CreatedAt", "UpdatedAt", "InstanceId")
            SELECT {record.Id}, {record.Framework}, {record.Provider}, NULL, CAST({record.Owner} AS TEXT), {status}, NULL, {created}, {updated}, {instance.Id}
            WHERE (SELECT COUNT(*) FROM sandboxes WHERE "InstanceId" = {instance.Id}) < {options.Value.MaxSandboxes}
              AND (CAST({record.Owner} AS TEXT) IS NULL
                OR (SELECT COUNT(*) FROM sandboxes WHERE "Owner" = CAST({record.Owner} AS TEXT) AND "Status" <> 'Deleted') < {perUserLimit})
            """, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return inserted == 1;
    }

    private static readonly Microsoft.EntityFrameworkCore.Storage.ValueConversion.DateTimeOffsetToBinaryConverter DateTimeOffsetConverter = new();

    public async Task<SandboxSnapshot?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var record = await db.Sandboxes.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, cancellationToken);
        return record is null ? null : SandboxSnapshot.From(record);
    }

    /// <summary>Every sandbox, whichever instance runs it (an admin's list).</summary>
    public async Task<IReadOnlyList<SandboxSnapshot>> ListAllAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var records = await db.Sandboxes.AsNoTracking().ToListAsync(cancellationToken);
        return records.OrderByDescending(r => r.CreatedAt).Select(SandboxSnapshot.From).ToList();
    }

    /// <summary>The sandboxes this instance runs (another instance's are its business: reconciling or checking them here would break them).</summary>
    public async Task<IReadOnlyList<SandboxSnapshot>> ListLocalAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var records = await db.Sandboxes.AsNoTracking().Where(s => s.InstanceId == instance.Id).ToListAsync(cancellationToken);
        return records.OrderByDescending(r => r.CreatedAt).Select(SandboxSnapshot.From).ToList();
    }

    /// <summary>The sandbox, which must be running (a preview or a process needs one).</summary>
    public async Task<(SandboxSnapshot Sandbox, FrameworkDefinition Framework)> RequireRunningAsync(string id, CancellationToken cancellationToken)
    {
        var sandbox = await GetAsync(id, cancellationToken) ?? throw new SandboxNotFoundException(id);
        if (sandbox.Status != SandboxStatus.Running)
        {
            throw new SandboxStateException($"Sandbox '{id}' is {sandbox.Status.ToString().ToLowerInvariant()}; it must be running. "
                + (sandbox.Status == SandboxStatus.Creating ? "Wait for SANDBOX_CREATED." : "Start it with POST /api/v1/sandboxes/{id}/start."));
        }
        FrameworkCatalog.TryGet(sandbox.Framework, out var framework);
        return (sandbox, framework);
    }

    private async Task ProvisionAsync(string id, FrameworkDefinition framework, CancellationToken cancellationToken)
    {
        using var held = await LockAsync(id, cancellationToken);
        try
        {
            var snapshot = await snapshots.EnsureAsync(framework, cancellationToken);
            await provider.CreateAsync(new SandboxSpec(id, snapshot.Directory), cancellationToken);
            var record = await UpdateAsync(id, r => { r.Status = SandboxStatus.Running; r.SnapshotId = snapshot.Id; r.Error = null; });
            if (record is null)
            {
                return;
            }
            await PublishAsync(EventTypes.SandboxCreated, record, new { snapshot_id = snapshot.Id });
            if (options.Value.AutoStartPreview)
            {
                await previews.EnsureAsync(id, framework, framework.DefaultPort, cancellationToken);
            }
        }
        catch (PreviewNotSupportedException ex)
        {
            LogNoAutoPreview(logger, id, ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogProvisionFailed(logger, ex, id);
            var record = await UpdateAsync(id, r => { r.Status = SandboxStatus.Error; r.Error = ex.Message; });
            if (record is not null)
            {
                await PublishAsync(EventTypes.SandboxFailed, record, new { error = ex.Message });
            }
        }
    }

    private async Task<SandboxRecord?> UpdateAsync(string id, Action<SandboxRecord> change)
    {
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        var record = await db.Sandboxes.FirstOrDefaultAsync(s => s.Id == id, CancellationToken.None);
        if (record is null)
        {
            return null;
        }
        change(record);
        record.UpdatedAt = time.GetUtcNow();
        await db.SaveChangesAsync(CancellationToken.None);
        return record;
    }

    private Task PublishAsync(string type, SandboxRecord record, object? extra = null) =>
        events.PublishAsync(new EventDraft(type, "sandbox", record.Id, record.Id,
            new { sandbox_id = record.Id, framework = record.Framework, status = record.Status, error = record.Error, details = extra }));

    private async Task<IDisposable> LockAsync(string id, CancellationToken cancellationToken)
    {
        var gate = _locks.GetOrAdd(id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        return new Releaser(gate);
    }

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }

    [LoggerMessage(EventId = 402, Level = LogLevel.Warning, Message = "Sandbox {SandboxId} runs without its automatic preview: {Reason}")]
    private static partial void LogNoAutoPreview(ILogger logger, string sandboxId, string reason);

    [LoggerMessage(EventId = 400, Level = LogLevel.Error, Message = "Provisioning sandbox {SandboxId} failed")]
    private static partial void LogProvisionFailed(ILogger logger, Exception ex, string sandboxId);
}
