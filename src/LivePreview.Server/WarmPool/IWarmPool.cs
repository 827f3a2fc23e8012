using LivePreview.Frameworks;
using LivePreview.Previews;
using LivePreview.Sandboxes;

namespace LivePreview.WarmPool;

/// <summary>Sandboxes whose dev server already runs, handed to new prototyping sessions.</summary>
public interface IWarmPool
{
    /// <summary>
    /// A sandbox for a new session: a ready pooled one bound to <paramref name="sessionId"/> when there is
    /// one (a hit), otherwise a new sandbox started cold (a miss). The caller cannot tell but by timing.
    /// </summary>
    Task<PoolAcquisition> AcquireAsync(FrameworkDefinition framework, string sessionId, CancellationToken cancellationToken);

    /// <summary>True for a pooled sandbox nobody has claimed: lists meant for people leave it out.</summary>
    bool IsPooled(string sandboxId);

    PoolStatus Status();

    /// <summary>Raised after claims, misses, evictions and starts; handlers must not block.</summary>
    event Action? Changed;
}

/// <param name="Preview">The ready preview of a claimed sandbox; null for a cold start (it is still being made).</param>
public sealed record PoolAcquisition(SandboxSnapshot Sandbox, PreviewSnapshot? Preview, bool Warm);
