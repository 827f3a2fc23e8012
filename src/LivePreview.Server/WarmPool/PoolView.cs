using LivePreview.Frameworks;
using LivePreview.Persistence;
using LivePreview.Previews;
using Microsoft.Extensions.Options;

namespace LivePreview.WarmPool;

/// <summary>The pool as <c>GET /api/v1/pool</c>, the dashboard and the gauges show it.</summary>
public sealed record PoolStatus(bool Enabled, IReadOnlyList<FrameworkPoolStatus> Frameworks);

/// <param name="HitRate">Hits over session starts since the service started; null before the first start.</param>
public sealed record FrameworkPoolStatus(
    string Framework,
    int TargetSize,
    int Ready,
    int Starting,
    long Hits,
    long Misses,
    long Evictions,
    double? HitRate,
    IReadOnlyList<PoolEviction> LastEvictions,
    IReadOnlyList<PoolMemberView> Members);

/// <param name="State">ready (claimable now) or starting (provisioning, or its dev server restarting).</param>
public sealed record PoolMemberView(string SandboxId, string State, DateTimeOffset CreatedAt, DateTimeOffset? ReadyAt, long? MemoryBytes);

/// <summary>Reads the pool's state from memory only (members, their previews, counters, cached memory): cheap enough for every scrape.</summary>
internal sealed class PoolView(PoolMembers members, PoolStatistics statistics, PreviewManager previews, SandboxMemory memory, IOptionsMonitor<WarmPoolOptions> options)
{
    public PoolStatus Read()
    {
        var o = options.CurrentValue;
        var shown = FrameworkCatalog.All
            .Where(f => o.TargetSize(f.Name) > 0 || members.Count(f.Name) > 0 || statistics.Frameworks.Contains(f.Name));
        return new PoolStatus(o.Pooled().Count > 0, shown.Select(f => Framework(f, o.TargetSize(f.Name))).ToList());
    }

    /// <summary>
    /// Claimable now: its start has finished (<see cref="PoolMember.ReadyAt"/>: the page, its module scripts and the rest of
    /// the readiness the provisioner waits for) and its preview is ready. A preview turns ready a moment before the start
    /// finishes; a member claimed in that moment would still be optimizing its dependencies, and the browser's first load
    /// would be reloaded under it.
    /// </summary>
    public bool IsReady(PoolMember member) => member.ReadyAt is not null && IsReady(member.SandboxId, member.Framework);

    public bool IsReady(string sandboxId, string framework) =>
        FrameworkCatalog.TryGet(framework, out var f) && previews.Find(new PreviewTarget(sandboxId, f.DefaultPort))?.Status == PreviewStatus.Ready;

    private FrameworkPoolStatus Framework(FrameworkDefinition framework, int target)
    {
        var views = members.Of(framework.Name).OrderBy(m => m.CreatedAt)
            .Select(m => new PoolMemberView(m.SandboxId, IsReady(m) ? "ready" : "starting", m.CreatedAt, m.ReadyAt, memory.Cached(m.SandboxId)))
            .ToList();
        var (hits, misses, evictions, last) = statistics.Read(framework.Name);
        var ready = views.Count(v => v.State == "ready");
        double? hitRate = hits + misses == 0 ? null : (double)hits / (hits + misses);
        return new FrameworkPoolStatus(framework.Name, target, ready, views.Count - ready, hits, misses, evictions, hitRate, last, views);
    }
}
