using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LivePreview.Auth;

/// <summary>
/// An API key (table <c>api_keys</c>). Only the SHA-256 of the key is stored; the key itself is shown once,
/// when it is made. Revoked keys stay (who had which key, and when it stopped working).
/// </summary>
public sealed class ApiKeyRecord
{
    public required string Id { get; set; }

    /// <summary>The user the key acts as.</summary>
    public required string User { get; set; }

    /// <summary>What the key is for ("ci", "laptop").</summary>
    public required string Name { get; set; }

    /// <summary>Lower-case hex SHA-256 of the key's UTF-8 bytes.</summary>
    public required string Hash { get; set; }

    public bool IsAdmin { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKeyRecord>
{
    public void Configure(EntityTypeBuilder<ApiKeyRecord> e)
    {
        e.ToTable("api_keys");
        e.HasKey(x => x.Id);
        e.HasIndex(x => x.Hash).IsUnique();
        e.HasIndex(x => x.User);
    }
}
