using LivePreview.Frameworks;
using LivePreview.Hosting;
using LivePreview.Previews;
using LivePreview.Sandboxes;
using Microsoft.Extensions.Options;

namespace LivePreview.WarmPool;

/// <summary>Claims: the oldest ready member first, each attempt a conditional UPDATE; a miss starts a sandbox cold.</summary>
internal sealed partial class WarmPoolService(
    PoolMembers members,
    PoolStore store,
    PoolStatistics statistics,
    PoolView view,
    PoolSignal signal,
    WarmPoolMetrics metrics,
    SandboxMemory memory,
    SandboxManager sandboxes,
    PreviewManager previews,
    SandboxReadiness readiness,
    BackgroundWork background,
    IOptionsMonitor<WarmPoolOptions> options,
    TimeProvider time,
    ILogger<WarmPoolService> logger) : IWarmPool
{
    public event Action? Changed
    {
        add => signal.Changed += value;
        remove => signal.Changed -= value;
    }

    public bool IsPooled(string sandboxId) => members.Contains(sandboxId);

    public PoolStatus Status() => view.Read();

    public async Task<PoolAcquisition> AcquireAsync(FrameworkDefinition framework, string sessionId, string owner, int perUserLimit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(framework);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        var started = time.GetTimestamp();
        // Not cancellable once a claim may have happened: a claimed sandbox must reach its session.
        if (await TryClaimAsync(framework, sessionId, new PoolClaimant(owner, perUserLimit)) is { } claimed)
        {
            statistics.Hit(framework.Name);
            metrics.Hit(framework.Name, time.GetElapsedTime(started));
            LogHit(logger, claimed.Sandbox.Id, framework.Name, sessionId);
            signal.Notify();
            return claimed;
        }
        statistics.Miss(framework.Name);
        metrics.Miss(framework.Name);
        signal.Notify();
        // Over quota this throws SandboxQuotaException (429), as the claim above was refused for the same reason.
        var sandbox = await sandboxes.CreateAsync(framework, SandboxId.New(), owner, perUserLimit, cancellationToken);
        LogMiss(logger, framework.Name, sandbox.Id);
        background.Run($"cold start {sandbox.Id}", ct => TimeColdStartAsync(sandbox.Id, framework, started, ct));
        return new PoolAcquisition(sandbox, null, Warm: false);
    }

    private async Task<PoolAcquisition?> TryClaimAsync(FrameworkDefinition framework, string sessionId, PoolClaimant claimant)
    {
        var candidates = members.Of(framework.Name).Where(view.IsReady).OrderBy(m => m.ReadyAt ?? m.CreatedAt);
        foreach (var candidate in candidates)
        {
            var outcome = await store.TryClaimAsync(candidate.SandboxId, sessionId, claimant, time.GetUtcNow(), CancellationToken.None);
            if (outcome == ClaimOutcome.OverQuota)
            {
                // Every other member would be refused alike; the cold start below gives the quota's 429.
                LogClaimOverQuota(logger, candidate.SandboxId, claimant.Owner, claimant.PerUserLimit);
                return null;
            }
            if (outcome != ClaimOutcome.Claimed)
            {
                continue;
            }
            members.Remove(candidate.SandboxId);
            memory.Forget(candidate.SandboxId);
            if (await sandboxes.GetAsync(candidate.SandboxId, CancellationToken.None) is { } sandbox)
            {
                return new PoolAcquisition(sandbox, previews.Find(new PreviewTarget(sandbox.Id, framework.DefaultPort)), Warm: true);
            }
        }
        return null;
    }

    /// <summary>Records how long a cold session waited for its preview, the figure a hit saves.</summary>
    private async Task TimeColdStartAsync(string sandboxId, FrameworkDefinition framework, long started, CancellationToken cancellationToken)
    {
        var outcome = await readiness.WaitAsync(sandboxId, framework, options.CurrentValue.StartTimeout, startPreview: false, cancellationToken);
        if (outcome.Kind == StartOutcomeKind.Ready)
        {
            metrics.ColdStartReady(framework.Name, time.GetElapsedTime(started));
        }
    }

    [LoggerMessage(EventId = 1040, Level = LogLevel.Information, Message = "Warm pool hit: sandbox {SandboxId} ({Framework}) claimed by session {SessionId}")]
    private static partial void LogHit(ILogger logger, string sandboxId, string framework, string sessionId);

    [LoggerMessage(EventId = 1700, Level = LogLevel.Information, Message = "Warm pool claim of {SandboxId} refused: user {Owner} holds {Limit} sandboxes (LivePreview:Quotas:MaxSandboxesPerUser); it stays in the pool")]
    private static partial void LogClaimOverQuota(ILogger logger, string sandboxId, string owner, int limit);

    [LoggerMessage(EventId = 1041, Level = LogLevel.Information, Message = "Warm pool miss for {Framework}: sandbox {SandboxId} starts cold")]
    private static partial void LogMiss(ILogger logger, string framework, string sandboxId);
}
