using LivePreview.Persistence;
using LivePreview.Previews;
using LivePreview.Sandboxes;

namespace LivePreview.WarmPool;

/// <summary>What the health pass knows about one member at one moment.</summary>
/// <param name="Health">The provider's view; only asked for members whose preview is ready (before that, a restart's attach may still be running).</param>
/// <param name="CurrentSnapshotId">The framework's current snapshot; null when unknown (not built, template unreadable): then nothing is stale.</param>
internal sealed record MemberCheck(
    PoolMember Member,
    SandboxSnapshot? Sandbox,
    PreviewSnapshot? Preview,
    SandboxHealth? Health,
    string? CurrentSnapshotId,
    DateTimeOffset Now);

internal sealed record EvictionDecision(EvictionReason Reason, string? Detail);

/// <summary>
/// Whether a pooled sandbox should be replaced, in one place and free of I/O. A dev server that
/// crashes leaves "ready" and is restarted by its supervisor; only when that ends in error, or it
/// stays unready longer than <see cref="WarmPoolOptions.StartTimeout"/>, is the member evicted.
/// </summary>
internal static class PoolHealth
{
    public static EvictionDecision? Check(MemberCheck c, WarmPoolOptions options)
    {
        if (c.Sandbox is null)
        {
            return new(EvictionReason.Gone, "The sandbox no longer exists.");
        }
        if (c.Sandbox.Status is SandboxStatus.Error)
        {
            return new(EvictionReason.SandboxFailed, c.Sandbox.Error);
        }
        if (c.Sandbox.Status is SandboxStatus.Stopped or SandboxStatus.Deleted)
        {
            return new(EvictionReason.SandboxFailed, $"The sandbox is {c.Sandbox.Status.ToString().ToLowerInvariant()}.");
        }
        if (c.Preview?.Status is PreviewStatus.Error)
        {
            return new(EvictionReason.PreviewFailed, c.Preview.Error);
        }
        if (c.Preview?.Status is PreviewStatus.Stopped)
        {
            return new(EvictionReason.PreviewStopped, "Its dev server was stopped.");
        }
        if (c.Health is { Healthy: false } health)
        {
            return new(EvictionReason.Unhealthy, health.Detail);
        }
        if (c.Now - c.Member.CreatedAt > options.MaxIdleAge)
        {
            return new(EvictionReason.MaxIdleAge, $"Unclaimed for more than {options.MaxIdleAge.TotalMinutes:0} min.");
        }
        if (c.Sandbox.SnapshotId is { } made && c.CurrentSnapshotId is { } current && made != current)
        {
            return new(EvictionReason.StaleSnapshot, $"Made from {made}; the current snapshot is {current}.");
        }
        if (c.Preview?.Status is not PreviewStatus.Ready && c.Member.UnreadySince is { } since && c.Now - since > options.StartTimeout)
        {
            return new(EvictionReason.StartTimeout, $"Not ready for {(c.Now - since).TotalSeconds:0} s (preview {c.Preview?.Status.ToString().ToLowerInvariant() ?? "missing"}).");
        }
        return null;
    }

    /// <summary>
    /// Members beyond the target, to evict: those not ready first, then the oldest (the first to hit
    /// <see cref="WarmPoolOptions.MaxIdleAge"/> anyway). Members still being provisioned are not chosen.
    /// </summary>
    public static IReadOnlyList<PoolMember> Surplus(IReadOnlyList<PoolMember> members, int target, Func<PoolMember, bool> isReady, Func<PoolMember, bool> isProvisioning)
    {
        var excess = members.Count - Math.Max(0, target);
        if (excess <= 0)
        {
            return [];
        }
        return members.Where(m => !isProvisioning(m))
            .OrderBy(m => isReady(m) ? 1 : 0).ThenBy(m => m.CreatedAt)
            .Take(excess).ToList();
    }
}
