using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LivePreview.WarmPool;

/// <summary>
/// A sandbox made for the pool (table <c>pool_entries</c>). The row is written before the sandbox is
/// created, so a crash at any point leaves a row to clean up rather than an unknown sandbox. Claimed
/// rows stay while their sandbox lives (which session got it); evicted rows until the sandbox is gone.
/// </summary>
public sealed class PoolEntryRecord
{
    public required string SandboxId { get; set; }
    public required string Framework { get; set; }

    /// <summary>The instance whose pool it is in (it runs the sandbox); only that instance adopts, checks and evicts it.</summary>
    public string? InstanceId { get; set; }

    /// <summary>The snapshot the sandbox was made from, known once it is ready.</summary>
    public string? SnapshotId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When its preview was first ready (claimability follows the preview's live state, not this).</summary>
    public DateTimeOffset? ReadyAt { get; set; }

    public DateTimeOffset? ClaimedAt { get; set; }

    /// <summary>The prototype session that claimed it.</summary>
    public string? ClaimedBy { get; set; }

    /// <summary>Set, with the reason, before the sandbox is deleted: a claim never takes an evicted sandbox.</summary>
    public DateTimeOffset? EvictedAt { get; set; }

    public string? EvictionReason { get; set; }
}

internal sealed class PoolEntryConfiguration : IEntityTypeConfiguration<PoolEntryRecord>
{
    public void Configure(EntityTypeBuilder<PoolEntryRecord> e)
    {
        e.ToTable("pool_entries");
        e.HasKey(x => x.SandboxId);
        e.HasIndex(x => new { x.Framework, x.ClaimedAt });
    }
}
