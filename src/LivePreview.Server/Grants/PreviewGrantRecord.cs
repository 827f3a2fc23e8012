using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LivePreview.Grants;

/// <summary>
/// A grant to open one preview (table <c>preview_grants</c>): one sandbox <em>and</em> one port, until it expires
/// or is revoked. Only the SHA-256 of its token is stored; the token is in the grant's URL, shown once.
/// Revoked and expired grants stay until their sandbox is forgotten (who could open what, and until when).
/// </summary>
public sealed class PreviewGrantRecord
{
    public required string Id { get; set; }

    public required string SandboxId { get; set; }

    public int Port { get; set; }

    /// <summary>The preview the grant was made for (its id in the API).</summary>
    public required string PreviewId { get; set; }

    /// <summary>The user who made the grant (the preview's owner, or an admin).</summary>
    public required string User { get; set; }

    /// <summary>A share link (for anyone who has it) rather than the owner's own browser grant.</summary>
    public bool Share { get; set; }

    /// <summary>Lower-case hex SHA-256 of the token's UTF-8 bytes.</summary>
    public required string TokenHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}

internal sealed class PreviewGrantConfiguration : IEntityTypeConfiguration<PreviewGrantRecord>
{
    public void Configure(EntityTypeBuilder<PreviewGrantRecord> e)
    {
        e.ToTable("preview_grants");
        e.HasKey(x => x.Id);
        e.HasIndex(x => x.TokenHash).IsUnique();
        e.HasIndex(x => new { x.SandboxId, x.Port });
    }
}
