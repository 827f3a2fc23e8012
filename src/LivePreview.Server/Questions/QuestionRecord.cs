using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LivePreview.Questions;

public enum QuestionStatus
{
    Pending,
    Answered,
    Expired,
}

/// <summary>
/// A question an agent asked the sandbox's user (table <c>questions</c>). Kept in the database so a pending
/// question outlives a restart of the service (it is published again) and an agent that asks it again joins it.
/// </summary>
public sealed class QuestionRecord
{
    public required string Id { get; set; }

    public required string SandboxId { get; set; }

    /// <summary>The sandbox's owner when the question was asked (null: the service's own sandbox; admins only).</summary>
    public string? Owner { get; set; }

    public string? SessionId { get; set; }

    public required string Question { get; set; }

    /// <summary>The choices offered, as a JSON array of strings; null for a free-text question.</summary>
    public string? Choices { get; set; }

    public QuestionStatus Status { get; set; }

    public string? Answer { get; set; }

    public string? AnsweredBy { get; set; }

    public DateTimeOffset AskedAt { get; set; }

    public DateTimeOffset? AnsweredAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>The answer reached an agent waiting for it; an undelivered one goes to the next agent asking the same question.</summary>
    public bool Delivered { get; set; }
}

internal sealed class QuestionConfiguration : IEntityTypeConfiguration<QuestionRecord>
{
    public void Configure(EntityTypeBuilder<QuestionRecord> e)
    {
        e.ToTable("questions");
        e.HasKey(x => x.Id);
        e.Property(x => x.Status).HasConversion<string>();
        e.HasIndex(x => new { x.SandboxId, x.Status, x.AskedAt });
    }
}
