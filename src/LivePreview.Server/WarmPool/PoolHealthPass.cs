using LivePreview.Frameworks;
using LivePreview.Previews;
using LivePreview.Sandboxes;
using LivePreview.Snapshots;

namespace LivePreview.WarmPool;

/// <summary>
/// Start-up adoption and the periodic check of every member (decisions in <see cref="PoolHealth"/>).
/// After a restart the sandbox lifecycle has already attached the pooled sandboxes and restarted their
/// dev servers; the pool keeps them as members, claimable again once their previews are ready.
/// </summary>
internal sealed partial class PoolHealthPass(
    PoolMembers members,
    PoolStore store,
    PoolEvictor evictor,
    PoolView view,
    SandboxMemory memory,
    SandboxManager sandboxes,
    PreviewManager previews,
    ISandboxProvider provider,
    ISnapshotStore snapshots,
    PoolStatistics statistics,
    TimeProvider time,
    ILogger<PoolHealthPass> logger)
{
    /// <summary>Takes back the unclaimed rows whose sandbox exists; finishes evictions and drops rows whose sandbox is gone.</summary>
    public async Task AdoptAsync(CancellationToken cancellationToken)
    {
        var existing = (await sandboxes.ListLocalAsync(cancellationToken)).Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        var now = time.GetUtcNow();
        var adopted = 0;
        foreach (var row in await store.ListAsync(cancellationToken))
        {
            if (row.EvictedAt is not null)
            {
                await evictor.FinishAsync(row.SandboxId, cancellationToken);
            }
            else if (!existing.Contains(row.SandboxId))
            {
                await store.DeleteAsync(row.SandboxId, cancellationToken);
                if (row.ClaimedAt is null)
                {
                    statistics.Evicted(new PoolEviction(row.SandboxId, row.Framework, EvictionReason.Gone, "Lost before a restart.", now));
                }
            }
            else if (row.ClaimedAt is null)
            {
                members.Add(new PoolMember(row.SandboxId, row.Framework, row.CreatedAt, row.ReadyAt, UnreadySince: now));
                adopted++;
            }
        }
        LogAdopted(logger, adopted);
    }

    /// <summary>Checks every member not being provisioned right now, evicts what is broken, stale or beyond the target size.</summary>
    public async Task RunAsync(WarmPoolOptions options, Func<string, bool> isProvisioning, CancellationToken cancellationToken)
    {
        // Members first, sandboxes second: a member not being provisioned already has its sandbox row,
        // so a missing one really is gone (the other order could miss a sandbox made in between).
        var settled = members.All().Where(m => !isProvisioning(m.SandboxId)).ToList();
        var byId = (await sandboxes.ListLocalAsync(cancellationToken)).ToDictionary(s => s.Id, StringComparer.Ordinal);
        // Once per pass and framework: finding the current snapshot hashes the template's lock file.
        var current = settled.Select(m => m.Framework).Distinct()
            .ToDictionary(f => f, f => FrameworkCatalog.TryGet(f, out var d) ? snapshots.TryGetCurrent(d)?.Id : null, StringComparer.Ordinal);
        foreach (var member in settled)
        {
            await CheckAsync(member, byId.GetValueOrDefault(member.SandboxId), current[member.Framework], options, cancellationToken);
        }
        foreach (var framework in FrameworkCatalog.All)
        {
            var surplus = PoolHealth.Surplus(members.Of(framework.Name), options.TargetSize(framework.Name), view.IsReady, m => isProvisioning(m.SandboxId));
            foreach (var member in surplus)
            {
                await evictor.EvictAsync(member, new EvictionDecision(EvictionReason.Surplus, $"The {framework.Name} pool holds {options.TargetSize(framework.Name)}."), cancellationToken);
            }
        }
        await CleanRowsAsync(cancellationToken);
    }

    private async Task CheckAsync(PoolMember member, SandboxSnapshot? sandbox, string? currentSnapshot, WarmPoolOptions options, CancellationToken cancellationToken)
    {
        FrameworkCatalog.TryGet(member.Framework, out var framework);
        var preview = framework is null ? null : previews.Find(new PreviewTarget(member.SandboxId, framework.DefaultPort));
        var ready = preview?.Status == Persistence.PreviewStatus.Ready;
        var now = time.GetUtcNow();
        member = await TrackReadinessAsync(member, ready, sandbox, now, cancellationToken);
        var health = ready ? await provider.GetHealthAsync(member.SandboxId, cancellationToken) : null;
        if (PoolHealth.Check(new MemberCheck(member, sandbox, preview, health, currentSnapshot, now), options) is { } decision)
        {
            await evictor.EvictAsync(member, decision, cancellationToken);
        }
        else if (ready)
        {
            await memory.RefreshAsync(member.SandboxId, options.MemorySampleAge, cancellationToken);
        }
    }

    /// <summary>Starts or stops the unready clock; records the first readiness of an adopted member.</summary>
    private async Task<PoolMember> TrackReadinessAsync(PoolMember member, bool ready, SandboxSnapshot? sandbox, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (ready && member.ReadyAt is null)
        {
            await store.MarkReadyAsync(member.SandboxId, sandbox?.SnapshotId, now, cancellationToken);
        }
        return members.Update(member.SandboxId, m => ready
            ? m with { ReadyAt = m.ReadyAt ?? now, UnreadySince = null }
            : m with { UnreadySince = m.UnreadySince ?? now }) ?? member;
    }

    /// <summary>Rows left by crashes or by sessions that ended: evictions to finish, claimed rows of deleted sandboxes.</summary>
    private async Task CleanRowsAsync(CancellationToken cancellationToken)
    {
        var rows = await store.ListAsync(cancellationToken);
        var existing = (await sandboxes.ListLocalAsync(cancellationToken)).Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            if (row.EvictedAt is not null && !members.Contains(row.SandboxId))
            {
                await evictor.FinishAsync(row.SandboxId, cancellationToken);
            }
            else if (row.ClaimedAt is not null && !existing.Contains(row.SandboxId))
            {
                await store.DeleteAsync(row.SandboxId, cancellationToken);
            }
        }
    }

    [LoggerMessage(EventId = 1020, Level = LogLevel.Information, Message = "Warm pool adopted {Count} pooled sandboxes from before the restart")]
    private static partial void LogAdopted(ILogger logger, int count);
}
