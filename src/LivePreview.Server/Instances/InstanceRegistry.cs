using LivePreview.AgentSessions;
using LivePreview.Events;
using LivePreview.Persistence;
using LivePreview.Sandboxes;
using LivePreview.WarmPool;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LivePreview.Instances;

/// <summary>
/// The <c>instances</c> table from this instance's side: it registers itself once the server listens, beats every
/// <see cref="InstanceOptions.HeartbeatInterval"/> (with its sandbox count and free memory, which placement reads), and
/// on each beat looks for instances whose last beat is older than <see cref="InstanceOptions.LostAfter"/>. The first
/// instance to notice one (a conditional UPDATE: exactly one wins) marks it lost, its unfinished sandboxes
/// <see cref="SandboxStatus.Lost"/> and their previews failed, publishes <c>SANDBOX_LOST</c> for each and interrupts
/// their running agent sessions — nothing keeps saying "ready" for what nobody runs. When the lost instance starts again
/// with the same id, its start-up reconciliation resumes them like any sandbox after a restart.
/// </summary>
public sealed partial class InstanceRegistry(
    IDbContextFactory<LivePreviewDbContext> dbFactory,
    InstanceIdentity identity,
    IOptions<InstanceOptions> options,
    IOptions<SandboxOptions> sandboxOptions,
    IEventBus events,
    IServiceProvider services,
    TimeProvider time,
    ILogger<InstanceRegistry> logger)
{
    private static readonly SandboxStatus[] Unfinished = [SandboxStatus.Creating, SandboxStatus.Running, SandboxStatus.Stopped];

    /// <summary>
    /// Rows from before instances existed (no instance recorded) become this instance's: a single instance upgraded in
    /// place keeps its sandboxes and its warm pool. Runs at start-up before anything reads "this instance's sandboxes".
    /// </summary>
    public async Task AdoptUnassignedAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var adopted = await db.Sandboxes.Where(s => s.InstanceId == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.InstanceId, identity.Id), cancellationToken);
        await db.PoolEntries.Where(e => e.InstanceId == null)
            .ExecuteUpdateAsync(u => u.SetProperty(e => e.InstanceId, identity.Id), cancellationToken);
        if (adopted > 0)
        {
            LogAdopted(logger, adopted, identity.Id);
        }
    }

    /// <summary>Writes this instance's row (active, its address, a first beat).</summary>
    public async Task RegisterAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var row = await db.Instances.FirstOrDefaultAsync(i => i.Id == identity.Id, cancellationToken);
        if (row is null)
        {
            row = new InstanceRecord { Id = identity.Id, InternalUrl = identity.InternalUrl };
            db.Instances.Add(row);
        }
        row.InternalUrl = identity.InternalUrl;
        row.State = InstanceState.Active;
        row.StartedAt = now;
        await FillCapacityAsync(db, row, now, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        LogRegistered(logger, identity.Id, identity.InternalUrl);
    }

    /// <summary>One beat: this instance's row, then the sweep for lost ones.</summary>
    public async Task BeatAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var row = await db.Instances.FirstOrDefaultAsync(i => i.Id == identity.Id, cancellationToken);
            if (row is null || row.State != InstanceState.Active)
            {
                // Marked lost while this process was stalled (or the row was removed): it is alive, so it says so again;
                // its sandboxes were marked lost and stay so until a restart resumes them.
                await RegisterAsync(cancellationToken);
                return;
            }
            await FillCapacityAsync(db, row, now, cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
        }
        await SweepAsync(now, cancellationToken);
    }

    /// <summary>Marks every instance whose beat is older than LostAfter lost (each by exactly one sweeper).</summary>
    public async Task SweepAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var cutoff = now - options.Value.LostAfter;
        List<InstanceRecord> stale;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            stale = await db.Instances.AsNoTracking()
                .Where(i => i.Id != identity.Id && i.State != InstanceState.Lost && i.HeartbeatAt < cutoff).ToListAsync(cancellationToken);
        }
        foreach (var instance in stale)
        {
            await MarkLostAsync(instance, cutoff, now, cancellationToken);
        }
    }

    private async Task MarkLostAsync(InstanceRecord instance, DateTimeOffset cutoff, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var reason = $"The instance running this sandbox ({instance.Id}) stopped answering: its last heartbeat was at {instance.HeartbeatAt:u}.";
        List<SandboxRecord> lost;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var won = await db.Instances.Where(i => i.Id == instance.Id && i.State != InstanceState.Lost && i.HeartbeatAt < cutoff)
                .ExecuteUpdateAsync(u => u.SetProperty(i => i.State, InstanceState.Lost), cancellationToken);
            if (won != 1)
            {
                return; // another instance marked it, or it beat again in between
            }
            lost = await db.Sandboxes.Where(s => s.InstanceId == instance.Id && Unfinished.Contains(s.Status)).ToListAsync(cancellationToken);
            foreach (var sandbox in lost)
            {
                sandbox.Status = SandboxStatus.Lost;
                sandbox.Error = reason;
                sandbox.UpdatedAt = now;
            }
            var ids = lost.Select(s => s.Id).ToList();
            await db.Previews.Where(p => ids.Contains(p.SandboxId) && p.Status != PreviewStatus.Stopped && p.Status != PreviewStatus.Error)
                .ExecuteUpdateAsync(u => u.SetProperty(p => p.Status, PreviewStatus.Error).SetProperty(p => p.Error, reason).SetProperty(p => p.UpdatedAt, now), cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        LogLost(logger, instance.Id, instance.HeartbeatAt, lost.Count);
        foreach (var sandbox in lost)
        {
            await events.PublishAsync(new EventDraft(EventTypes.SandboxLost, "sandbox", sandbox.Id, sandbox.Id,
                new { sandbox_id = sandbox.Id, framework = sandbox.Framework, status = sandbox.Status, error = reason, instance_id = instance.Id }), cancellationToken);
        }
        if (services.GetService<AgentSessionManager>() is { } sessions && lost.Count > 0)
        {
            await sessions.InterruptOnLostSandboxesAsync([.. lost.Select(s => s.Id)], reason, cancellationToken);
        }
    }

    /// <summary>A graceful stop: placement skips it at once; its sandboxes wait for its return (they are not lost).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.Instances.Where(i => i.Id == identity.Id && i.State == InstanceState.Active)
            .ExecuteUpdateAsync(u => u.SetProperty(i => i.State, InstanceState.Stopped), cancellationToken);
    }

    /// <summary>The instances placement and forwarding may use: active and beating.</summary>
    public async Task<IReadOnlyList<InstanceRecord>> LiveAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - options.Value.LostAfter;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Instances.AsNoTracking().Where(i => i.State == InstanceState.Active && i.HeartbeatAt >= cutoff).ToListAsync(cancellationToken);
    }

    private async Task FillCapacityAsync(LivePreviewDbContext db, InstanceRecord row, DateTimeOffset now, CancellationToken cancellationToken)
    {
        row.HeartbeatAt = now;
        row.SandboxCount = await db.Sandboxes.CountAsync(s => s.InstanceId == identity.Id && s.Status != SandboxStatus.Deleted, cancellationToken);
        row.MaxSandboxes = sandboxOptions.Value.MaxSandboxes;
        row.FreeMemoryMb = (SandboxMemory.AvailableOnMachine() ?? 0) / (1024 * 1024);
    }

    [LoggerMessage(EventId = 2820, Level = LogLevel.Information, Message = "Instance {Id} registered at {InternalUrl}")]
    private static partial void LogRegistered(ILogger logger, string id, string internalUrl);

    [LoggerMessage(EventId = 2821, Level = LogLevel.Warning, Message = "Instance {Id} is lost (last heartbeat {HeartbeatAt:u}); {Count} of its sandboxes marked lost")]
    private static partial void LogLost(ILogger logger, string id, DateTimeOffset heartbeatAt, int count);

    [LoggerMessage(EventId = 2822, Level = LogLevel.Information, Message = "Instance {Id} took {Count} sandboxes recorded before instances existed")]
    private static partial void LogAdopted(ILogger logger, int count, string id);
}
