using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LivePreview.Usage;

/// <summary>
/// One metered model response through the gateway (the rows <c>GET /api/v1/usage</c> adds up). Kept apart from the
/// event log, which is trimmed after <c>LivePreview:Events:Retention</c>, and kept when the sandbox is deleted:
/// what was used stays used.
/// </summary>
public sealed class ModelUsageRecord
{
    public long Id { get; set; }
    public required string SandboxId { get; set; }

    /// <summary>The sandbox's owner when the request was made; null for the service's own sandboxes (warm pool before a claim).</summary>
    public string? Owner { get; set; }
    public required string Provider { get; set; }
    public required string Model { get; set; }
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }
    public DateTimeOffset At { get; set; }
}

internal sealed class ModelUsageConfiguration : IEntityTypeConfiguration<ModelUsageRecord>
{
    public void Configure(EntityTypeBuilder<ModelUsageRecord> e)
    {
        e.ToTable("model_usage");
        e.HasKey(x => x.Id);
        e.Property(x => x.Id).ValueGeneratedOnAdd();
        e.HasIndex(x => new { x.Owner, x.At });
        e.HasIndex(x => new { x.SandboxId, x.At });
    }
}
