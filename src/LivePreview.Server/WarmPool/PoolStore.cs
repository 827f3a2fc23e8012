using LivePreview.Persistence;
using Microsoft.EntityFrameworkCore;

namespace LivePreview.WarmPool;

/// <summary>
/// The <c>pool_entries</c> rows. Claiming and retiring are single conditional UPDATEs on a row that
/// is neither claimed nor evicted, so exactly one of any number of racing claims and evictions wins,
/// within this process and across instances sharing the database.
/// </summary>
internal sealed class PoolStore(IDbContextFactory<LivePreviewDbContext> dbFactory)
{
    public async Task InsertAsync(PoolMember member, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.PoolEntries.Add(new PoolEntryRecord { SandboxId = member.SandboxId, Framework = member.Framework, CreatedAt = member.CreatedAt });
        await db.SaveChangesAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<PoolEntryRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.PoolEntries.AsNoTracking().ToListAsync(cancellationToken);
    }

    /// <summary>True when this call took the sandbox for <paramref name="sessionId"/>.</summary>
    public async Task<bool> TryClaimAsync(string sandboxId, string sessionId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var claimed = await db.PoolEntries
            .Where(e => e.SandboxId == sandboxId && e.ClaimedAt == null && e.EvictedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(e => e.ClaimedAt, now).SetProperty(e => e.ClaimedBy, sessionId), cancellationToken);
        return claimed == 1;
    }

    /// <summary>Marks the row evicted unless a claim got there first; true when the caller now owns the deletion.</summary>
    public async Task<bool> TryRetireAsync(string sandboxId, EvictionReason reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var retired = await db.PoolEntries
            .Where(e => e.SandboxId == sandboxId && e.ClaimedAt == null && e.EvictedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(e => e.EvictedAt, now).SetProperty(e => e.EvictionReason, reason.ToString()), cancellationToken);
        return retired == 1;
    }

    public async Task MarkReadyAsync(string sandboxId, string? snapshotId, DateTimeOffset readyAt, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.PoolEntries.Where(e => e.SandboxId == sandboxId && e.ReadyAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(e => e.ReadyAt, readyAt).SetProperty(e => e.SnapshotId, snapshotId), cancellationToken);
    }

    public async Task DeleteAsync(string sandboxId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.PoolEntries.Where(e => e.SandboxId == sandboxId).ExecuteDeleteAsync(cancellationToken);
    }
}
