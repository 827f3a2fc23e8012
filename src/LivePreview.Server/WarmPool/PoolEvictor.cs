using LivePreview.Sandboxes;

namespace LivePreview.WarmPool;

/// <summary>
/// Removes pooled sandboxes. The row is marked evicted first (only if nobody claimed it), then the
/// sandbox is deleted, then the row: a crash in between leaves a marked row that the next pass or
/// start-up finishes, never a sandbox nobody knows.
/// </summary>
internal sealed partial class PoolEvictor(
    PoolMembers members,
    PoolStore store,
    PoolStatistics statistics,
    WarmPoolMetrics metrics,
    SandboxMemory memory,
    SandboxManager sandboxes,
    PoolSignal signal,
    TimeProvider time,
    ILogger<PoolEvictor> logger)
{
    /// <summary>False when a claim took the sandbox first (then it is the session's, and stays).</summary>
    public async Task<bool> EvictAsync(PoolMember member, EvictionDecision decision, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!await store.TryRetireAsync(member.SandboxId, decision.Reason, now, cancellationToken))
        {
            return false;
        }
        members.Remove(member.SandboxId);
        memory.Forget(member.SandboxId);
        statistics.Evicted(new PoolEviction(member.SandboxId, member.Framework, decision.Reason, decision.Detail, now));
        metrics.Evicted(member.Framework, decision.Reason);
        LogEvicted(logger, member.SandboxId, member.Framework, WarmPoolMetrics.Tag(decision.Reason), decision.Detail);
        // Before the deletion, which takes a while: the replacement can start at once.
        signal.Notify();
        await FinishAsync(member.SandboxId, cancellationToken);
        return true;
    }

    /// <summary>Deletes the sandbox of a retired row, then the row; a failure is logged and retried by the next pass.</summary>
    public async Task FinishAsync(string sandboxId, CancellationToken cancellationToken)
    {
        try
        {
            await sandboxes.DeleteAsync(sandboxId, cancellationToken);
            await store.DeleteAsync(sandboxId, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogDeleteFailed(logger, ex, sandboxId);
        }
    }

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Evicting pooled sandbox {SandboxId} ({Framework}): {Reason} {Detail}")]
    private static partial void LogEvicted(ILogger logger, string sandboxId, string framework, string reason, string? detail);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "Deleting evicted pooled sandbox {SandboxId} failed; the next health pass retries")]
    private static partial void LogDeleteFailed(ILogger logger, Exception ex, string sandboxId);
}
