using LivePreview.Frameworks;
using LivePreview.Sandboxes;
using Microsoft.Extensions.Options;

namespace LivePreview.WarmPool;

/// <summary>
/// Makes one pooled sandbox: row first (so a crash leaves nothing unknown), then the sandbox through
/// the ordinary lifecycle (snapshot → provider → dev server), then waits until its preview is ready —
/// readiness includes the page's module scripts, so Vite's dependency optimizer has run by then; then, unless
/// turned off, the rest of its module graph is fetched once (<see cref="PoolGraphWarmer"/>) before it counts as ready.
/// </summary>
internal sealed partial class PoolProvisioner(
    PoolMembers members,
    PoolStore store,
    PoolEvictor evictor,
    WarmPoolMetrics metrics,
    PoolStatistics statistics,
    SandboxManager sandboxes,
    SandboxReadiness readiness,
    PoolGraphWarmer graph,
    IOptions<SandboxOptions> sandboxOptions,
    TimeProvider time,
    ILogger<PoolProvisioner> logger)
{
    /// <summary>True when the member is ready. On shutdown the row and the sandbox stay, for the next start to adopt.</summary>
    public async Task<bool> ProvisionAsync(PoolMember member, FrameworkDefinition framework, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        try
        {
            await store.InsertAsync(member, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            members.Remove(member.SandboxId);
            LogStartFailed(logger, ex, member.SandboxId, framework.Name);
            return false;
        }
        try
        {
            await sandboxes.CreateAsync(framework, member.SandboxId, owner: null, cancellationToken);
            var outcome = await readiness.WaitAsync(member.SandboxId, framework, timeout, !sandboxOptions.Value.AutoStartPreview, cancellationToken);
            if (outcome.Kind != StartOutcomeKind.Ready)
            {
                await evictor.EvictAsync(member, new EvictionDecision(outcome.AsEviction(), outcome.Detail), CancellationToken.None);
                return false;
            }
            await graph.WarmAsync(member.SandboxId, framework, cancellationToken);
            var readyAt = time.GetUtcNow();
            await store.MarkReadyAsync(member.SandboxId, outcome.Sandbox?.SnapshotId, readyAt, cancellationToken);
            members.Update(member.SandboxId, m => m with { ReadyAt = readyAt, UnreadySince = null });
            metrics.Replenished(framework.Name, time.GetElapsedTime(started));
            statistics.Provisioned(framework.Name, time.GetElapsedTime(started));
            LogReady(logger, member.SandboxId, framework.Name, time.GetElapsedTime(started).TotalSeconds);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (SandboxLimitException ex)
        {
            // Never created: only the row goes, and it is no eviction.
            members.Remove(member.SandboxId);
            await store.DeleteAsync(member.SandboxId, CancellationToken.None);
            LogLimit(logger, framework.Name, ex.Message);
            return false;
        }
        catch (Exception ex)
        {
            LogStartFailed(logger, ex, member.SandboxId, framework.Name);
            await evictor.EvictAsync(member, new EvictionDecision(EvictionReason.StartFailed, ex.Message), CancellationToken.None);
            return false;
        }
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Pooled sandbox {SandboxId} ({Framework}) is ready after {Seconds:0.00} s")]
    private static partial void LogReady(ILogger logger, string sandboxId, string framework, double seconds);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Starting pooled sandbox {SandboxId} ({Framework}) failed")]
    private static partial void LogStartFailed(ILogger logger, Exception ex, string sandboxId, string framework);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "The {Framework} pool cannot grow: {Reason}")]
    private static partial void LogLimit(ILogger logger, string framework, string reason);
}
