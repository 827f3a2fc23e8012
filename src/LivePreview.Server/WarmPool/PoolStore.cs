using LivePreview.Persistence;
using Microsoft.EntityFrameworkCore;

namespace LivePreview.WarmPool;

/// <summary>
/// The <c>pool_entries</c> rows. Claiming and retiring are single conditional UPDATEs on a row that
/// is neither claimed nor evicted, so exactly one of any number of racing claims and evictions wins,
/// within this process and across instances sharing the database (SQLite's writer lock, PostgreSQL's row locks:
/// a waiting UPDATE re-checks its conditions on the row version the winner committed).
/// </summary>
internal sealed class PoolStore(IDbContextFactory<LivePreviewDbContext> dbFactory, Instances.InstanceIdentity instance)
{
    public async Task InsertAsync(PoolMember member, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.PoolEntries.Add(new PoolEntryRecord { SandboxId = member.SandboxId, Framework = member.Framework, CreatedAt = member.CreatedAt, InstanceId = instance.Id });
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>This instance's rows.</summary>
    public async Task<IReadOnlyList<PoolEntryRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.PoolEntries.AsNoTracking().Where(e => e.InstanceId == instance.Id).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Takes the sandbox for <paramref name="sessionId"/> and makes it the claimant's, in one transaction whose first
    /// write is the conditional UPDATE of the sandbox's owner. On SQLite the write lock is taken before that statement
    /// evaluates its conditions. On PostgreSQL (READ COMMITTED) the transaction first takes the admission advisory lock
    /// that sandbox creates take too, so the quota count below reads every claim and create committed before it; two
    /// claims of one member are also settled by the row lock, since the loser re-checks <c>"Owner" IS NULL</c> on the
    /// winner's row version. So the row is unclaimed, not evicted, ownerless and the claimant below their quota at the
    /// moment it becomes theirs — a claimed member is never ownerless, never owned by two users, and two claims never
    /// take a user past the quota. The member's earlier events (provisioning, dev-server logs) are re-owned in the same
    /// transaction, so its new owner can replay them and nobody else ever could.
    /// </summary>
    public async Task<ClaimOutcome> TryClaimAsync(string sandboxId, string sessionId, PoolClaimant claimant, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.LockForTransactionAsync(DatabaseLocks.SandboxAdmission, cancellationToken);
        var owned = await db.Database.ExecuteSqlAsync($"""
            UPDATE sandboxes SET "Owner" = {claimant.Owner}
            WHERE "Id" = {sandboxId} AND "Owner" IS NULL
              AND EXISTS (SELECT 1 FROM pool_entries WHERE "SandboxId" = {sandboxId} AND "ClaimedAt" IS NULL AND "EvictedAt" IS NULL)
              AND (SELECT COUNT(*) FROM sandboxes WHERE "Owner" = {claimant.Owner} AND "Status" <> 'Deleted') < {claimant.PerUserLimit}
            """, cancellationToken);
        if (owned != 1)
        {
            var overQuota = await db.Sandboxes.CountAsync(s => s.Owner == claimant.Owner && s.Status != SandboxStatus.Deleted, cancellationToken) >= claimant.PerUserLimit;
            await transaction.RollbackAsync(cancellationToken);
            return overQuota ? ClaimOutcome.OverQuota : ClaimOutcome.Taken;
        }
        var taken = await db.PoolEntries
            .Where(e => e.SandboxId == sandboxId && e.ClaimedAt == null && e.EvictedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(e => e.ClaimedAt, now).SetProperty(e => e.ClaimedBy, sessionId), cancellationToken);
        if (taken != 1)
        {
            // Only on PostgreSQL: an eviction committed between the owner UPDATE (whose EXISTS read an older snapshot)
            // and this one. The member is being deleted; give the owner back by rolling back.
            await transaction.RollbackAsync(cancellationToken);
            return ClaimOutcome.Taken;
        }
        // On PostgreSQL an event insert that read the owner as null before this commits would escape the re-owning below;
        // holding the event lock until commit means every insert either committed before this UPDATE reads (re-owned) or
        // runs after the commit (reads the new owner). Admission, then events: the one lock order, so no deadlock.
        await db.Database.LockForTransactionAsync(DatabaseLocks.EventSequence, cancellationToken);
        await db.Events.Where(e => e.SandboxId == sandboxId && e.Owner == null)
            .ExecuteUpdateAsync(u => u.SetProperty(e => e.Owner, claimant.Owner), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return ClaimOutcome.Claimed;
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

/// <summary>Who claims a pooled sandbox, and how many sandboxes they may hold (this one included).</summary>
internal sealed record PoolClaimant(string Owner, int PerUserLimit);

internal enum ClaimOutcome
{
    Claimed,

    /// <summary>Claimed or evicted by someone else first: try the next member.</summary>
    Taken,

    /// <summary>The claimant holds their quota already; the member stays in the pool.</summary>
    OverQuota,
}
