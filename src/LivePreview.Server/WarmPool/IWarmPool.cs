using LivePreview.Frameworks;
using LivePreview.Previews;
using LivePreview.Sandboxes;

namespace LivePreview.WarmPool;

/// <summary>Sandboxes whose dev server already runs, handed to new prototyping sessions.</summary>
public interface IWarmPool
{
    /// <summary>
    /// A sandbox for a new session of <paramref name="owner"/>: a ready pooled one bound to <paramref name="sessionId"/>
    /// and made the owner's when there is one (a hit), otherwise a new sandbox of the owner's started cold (a miss).
    /// The caller cannot tell but by timing. Both count against <paramref name="perUserLimit"/>: over it, the claim
    /// is refused (the member stays in the pool) and so is the cold start (<see cref="SandboxQuotaException"/>).
    /// </summary>
    Task<PoolAcquisition> AcquireAsync(FrameworkDefinition framework, string sessionId, string owner, int perUserLimit, CancellationToken cancellationToken);

    /// <summary>
    /// A sandbox of <paramref name="framework"/> for <paramref name="user"/> (their quota; admins none), from the pool when a
    /// member is ready or about to be: every way of making a template sandbox (the API, the dashboard) goes through here.
    /// </summary>
    /// <param name="via">What asked, recorded as the claimant ("api", "dashboard").</param>
    Task<SandboxSnapshot> CreateForAsync(FrameworkDefinition framework, System.Security.Claims.ClaimsPrincipal user, string via, CancellationToken cancellationToken);

    /// <summary>True for a pooled sandbox nobody has claimed: lists meant for people leave it out.</summary>
    bool IsPooled(string sandboxId);

    PoolStatus Status();

    /// <summary>Raised after claims, misses, evictions and starts; handlers must not block.</summary>
    event Action? Changed;
}

/// <param name="Preview">The ready preview of a claimed sandbox; null for a cold start (it is still being made).</param>
public sealed record PoolAcquisition(SandboxSnapshot Sandbox, PreviewSnapshot? Preview, bool Warm);
