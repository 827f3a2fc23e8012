using LivePreview.Persistence;
using Microsoft.EntityFrameworkCore;

namespace LivePreview.Snapshots;

/// <summary>Which snapshots sandboxes still sit on; those are never deleted, however old.</summary>
internal interface ISnapshotUsage
{
    Task<IReadOnlySet<string>> SnapshotsInUseAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Every sandbox the database still knows (stopped and failed ones too: their overlay may still be
/// mounted, and a stopped one is resumed on the snapshot it was made from).
/// </summary>
internal sealed class DatabaseSnapshotUsage(IDbContextFactory<LivePreviewDbContext> databases) : ISnapshotUsage
{
    public async Task<IReadOnlySet<string>> SnapshotsInUseAsync(CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var ids = await db.Sandboxes
            .Where(s => s.Status != SandboxStatus.Deleted && s.SnapshotId != null)
            .Select(s => s.SnapshotId!)
            .Distinct()
            .ToListAsync(cancellationToken);
        return ids.ToHashSet(StringComparer.Ordinal);
    }
}
