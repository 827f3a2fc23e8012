using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LivePreview.Tasks;

/// <summary>
/// Where a task is. Queued → Claimed (a worker holds the lease) → Running (agent session) → Pushing (branch and pull request)
/// → Completed; a retryable failure goes back to Queued until MaxAttempts, then Failed; the owner may cancel until it ends.
/// </summary>
public enum TaskState { Queued, Claimed, Running, Pushing, Completed, Failed, Cancelled }

/// <summary>One task: a repository, what to do in it, and how far a worker got (<c>tasks</c> table).</summary>
public sealed class TaskRecord
{
    public const string IdPrefix = "tk";

    /// <summary><c>tk</c> and a sandbox-style id: lower-case letters and digits, usable in a branch name.</summary>
    public required string Id { get; set; }
    public required string Owner { get; set; }
    public required string Title { get; set; }
    public string Description { get; set; } = "";
    public required string RepositoryUrl { get; set; }
    public required string BaseBranch { get; set; }

    /// <summary>The capabilities a worker must offer (a JSON array of strings).</summary>
    public string RequiredCapabilities { get; set; } = "[]";
    public string? Agent { get; set; }

    /// <summary>Higher first; equal priorities go oldest first.</summary>
    public int Priority { get; set; }
    public TaskState Status { get; set; }
    public int Attempts { get; set; }
    public int MaxAttempts { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>The instance id of the worker holding the lease.</summary>
    public string? ClaimedBy { get; set; }

    /// <summary>New on every claim: a worker whose lease expired and was reclaimed can no longer renew, advance or finish the task.</summary>
    public string? LeaseToken { get; set; }
    public DateTimeOffset? LeaseUntil { get; set; }
    public string? SandboxId { get; set; }
    public string? Branch { get; set; }
    public string? CommitSha { get; set; }
    public string? PullRequestUrl { get; set; }
    public string? PreviewUrl { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

internal sealed class TaskConfiguration : IEntityTypeConfiguration<TaskRecord>
{
    public void Configure(EntityTypeBuilder<TaskRecord> e)
    {
        e.ToTable("tasks");
        e.HasKey(x => x.Id);
        e.Property(x => x.Status).HasConversion<string>();
        // The claim's scan: due rows by priority and age.
        e.HasIndex(x => new { x.Status, x.Priority, x.CreatedAt });
        e.HasIndex(x => x.Owner);
    }
}
