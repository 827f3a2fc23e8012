using LivePreview.Persistence;

namespace LivePreview.Sandboxes;

/// <summary>An immutable view of a sandbox as the API returns it.</summary>
public sealed record SandboxSnapshot(
    string Id,
    string Framework,
    string Provider,
    SandboxStatus Status,
    string? SnapshotId,
    string? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? Owner = null,
    Repositories.RepositorySource? Repository = null,
    Repositories.AppProfile? App = null,
    Repositories.DependencyInfo? Dependencies = null,
    Repositories.DevServerPlan? DevServerPlan = null)
{
    public static SandboxSnapshot From(SandboxRecord r) =>
        new(r.Id, r.Framework, r.Provider, r.Status, r.SnapshotId, r.Error, r.CreatedAt, r.UpdatedAt, r.Owner,
            r.RepositoryUrl is null ? null : new Repositories.RepositorySource(r.RepositoryUrl, r.RepositoryBranch, r.RepositoryCommit),
            Repositories.RepositoryJson.Read<Repositories.AppProfile>(r.AppProfile),
            r.DependencyLayerId is null ? null : new Repositories.DependencyInfo(r.DependencyLayerId, r.DependenciesReused ?? false, r.InstallMs ?? 0),
            Repositories.RepositoryJson.Read<Repositories.DevServerPlan>(r.DevServerPlan));
}

/// <summary>The sandbox is not in a state that allows the operation (e.g. a preview of a stopped sandbox).</summary>
public sealed class SandboxStateException(string message) : Exception(message);

/// <summary>Too many sandboxes exist already.</summary>
public sealed class SandboxLimitException(int limit)
    : Exception($"At most {limit} sandboxes may exist at once (LivePreview:Sandboxes:MaxSandboxes); delete one first.");
