using System.Collections.Concurrent;

namespace LivePreview.WarmPool;

/// <summary>Why a pooled sandbox was removed before anyone claimed it.</summary>
public enum EvictionReason
{
    /// <summary>Provisioning failed (snapshot, provider, dev server).</summary>
    StartFailed,
    /// <summary>Not ready within <see cref="WarmPoolOptions.StartTimeout"/>.</summary>
    StartTimeout,
    SandboxFailed,
    PreviewFailed,
    PreviewStopped,
    /// <summary>The provider reports the sandbox broken (workspace unmounted, network gone).</summary>
    Unhealthy,
    /// <summary>Recycled after <see cref="WarmPoolOptions.MaxIdleAge"/>.</summary>
    MaxIdleAge,
    /// <summary>Made from a snapshot that is no longer the framework's current one.</summary>
    StaleSnapshot,
    /// <summary>More members than the configured size (the size was lowered).</summary>
    Surplus,
    /// <summary>The sandbox was deleted outside the pool, or lost in a crash.</summary>
    Gone,
}

public sealed record PoolEviction(string SandboxId, string Framework, EvictionReason Reason, string? Detail, DateTimeOffset At);

/// <summary>Hits, misses and evictions per framework since this process started, and the last evictions.</summary>
internal sealed class PoolStatistics
{
    public const int LastEvictionsKept = 10;

    private const int ProvisionsKept = 15;

    private readonly ConcurrentDictionary<string, Counts> _byFramework = new(StringComparer.Ordinal);

    public void Hit(string framework) => Interlocked.Increment(ref Of(framework).Hits);

    public void Miss(string framework) => Interlocked.Increment(ref Of(framework).Misses);

    public void Evicted(PoolEviction eviction)
    {
        var counts = Of(eviction.Framework);
        Interlocked.Increment(ref counts.Evictions);
        lock (counts.Last)
        {
            counts.Last.Enqueue(eviction);
            while (counts.Last.Count > LastEvictionsKept)
            {
                counts.Last.Dequeue();
            }
        }
    }

    public IReadOnlyCollection<string> Frameworks => _byFramework.Keys.ToList();

    /// <summary>How long a member of <paramref name="framework"/> took from its start to ready: what a cold start costs now.</summary>
    public void Provisioned(string framework, TimeSpan took)
    {
        var durations = Of(framework).Provisions;
        lock (durations)
        {
            durations.Enqueue(took);
            while (durations.Count > ProvisionsKept)
            {
                durations.Dequeue();
            }
        }
    }

    /// <summary>The median of the last provisionings (a start to ready, on this machine as loaded now); null before the first.</summary>
    public TimeSpan? ProvisionEstimate(string framework)
    {
        var durations = Of(framework).Provisions;
        lock (durations)
        {
            return durations.Count == 0 ? null : durations.Order().ElementAt(durations.Count / 2);
        }
    }

    public (long Hits, long Misses, long Evictions, IReadOnlyList<PoolEviction> Last) Read(string framework)
    {
        var counts = Of(framework);
        lock (counts.Last)
        {
            return (Interlocked.Read(ref counts.Hits), Interlocked.Read(ref counts.Misses), Interlocked.Read(ref counts.Evictions), counts.Last.Reverse().ToList());
        }
    }

    private Counts Of(string framework) => _byFramework.GetOrAdd(framework, _ => new Counts());

    private sealed class Counts
    {
        public long Hits;
        public long Misses;
        public long Evictions;
        public readonly Queue<PoolEviction> Last = new();
        public readonly Queue<TimeSpan> Provisions = new();
    }
}
