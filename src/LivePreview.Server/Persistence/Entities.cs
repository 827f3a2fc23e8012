namespace LivePreview.Persistence;

/// <summary>
/// <c>Lost</c>: the instance that ran it stopped answering (<see cref="Instances.InstanceRegistry"/>); nobody runs it until
/// that instance starts again and resumes it.
/// </summary>
public enum SandboxStatus { Creating, Running, Stopped, Error, Deleted, Lost }

public enum PreviewStatus { Pending, Starting, Ready, Error, Stopped }

/// <summary>Who the proxy serves a preview to: private (a grant or the owner's key) unless made public on request.</summary>
public enum PreviewVisibility { Private, Public }

public sealed class SandboxRecord
{
    public required string Id { get; set; }
    public required string Framework { get; set; }
    public required string Provider { get; set; }
    public string? SnapshotId { get; set; }

    /// <summary>The user the sandbox belongs to (<see cref="Auth.CurrentUser"/>); null while it belongs to the service (a warm-pool member before its claim).</summary>
    public string? Owner { get; set; }
    public SandboxStatus Status { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>A sandbox made from a repository (Repositories/): its remote as the policy wrote it (never a credential), branch and commit; null for templates.</summary>
    public string? RepositoryUrl { get; set; }
    public string? RepositoryBranch { get; set; }
    public string? RepositoryCommit { get; set; }

    /// <summary>The detected <see cref="Repositories.AppProfile"/> (JSON), with the request's overrides applied.</summary>
    public string? AppProfile { get; set; }

    /// <summary>How its dev server starts (<see cref="Repositories.DevServerPlan"/> as JSON): kept, so a restart starts the same command.</summary>
    public string? DevServerPlan { get; set; }

    /// <summary>The dependency layer the sandbox's overlay sits on (never evicted while a row names it).</summary>
    public string? DependencyLayerId { get; set; }
    public bool? DependenciesReused { get; set; }
    public long? InstallMs { get; set; }

    /// <summary>The instance (<see cref="Instances.InstanceRecord"/>) that runs it: requests for it are forwarded there.</summary>
    public string? InstanceId { get; set; }
}

public sealed class PreviewRecord
{
    public required string Id { get; set; }
    public required string SandboxId { get; set; }
    public int Port { get; set; }
    public required string Url { get; set; }
    public PreviewStatus Status { get; set; }
    public string? Error { get; set; }
    public int Restarts { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? ReadyAt { get; set; }

    /// <summary>Written only by <c>PATCH /api/v1/preview/{id}</c> (Grants/); read by the proxy on requests without a grant.</summary>
    public PreviewVisibility Visibility { get; set; }
}

public sealed class EventRecord
{
    public long Sequence { get; set; }
    public required string Type { get; set; }
    public required string EntityType { get; set; }
    public required string EntityId { get; set; }
    public string? SandboxId { get; set; }
    public DateTimeOffset Timestamp { get; set; }
    public string? Payload { get; set; }

    /// <summary>
    /// Who may read the event: its sandbox's owner, set when it is stored (a claim re-owns a pool member's earlier
    /// events). Null — no sandbox, a sandbox of the service's own, audit — is admin-only.
    /// </summary>
    public string? Owner { get; set; }
}
