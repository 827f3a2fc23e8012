using LivePreview.Auth;
using LivePreview.Frameworks;
using LivePreview.Hosting;
using LivePreview.Previews;
using LivePreview.Sandboxes;
using Microsoft.Extensions.Options;

namespace LivePreview.WarmPool;

/// <summary>
/// Claims: the oldest ready member first, each attempt a conditional UPDATE. With none ready, a member already starting is
/// waited for when it will be ready sooner than a cold start would be (its expected rest, from the median of recent
/// starts, is less than a whole start), one waiter per starting member; otherwise, or when the wait runs out, a sandbox
/// starts cold.
/// </summary>
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

    private readonly Dictionary<string, int> _waiting = new(StringComparer.Ordinal);

    public async Task<SandboxSnapshot> CreateForAsync(FrameworkDefinition framework, System.Security.Claims.ClaimsPrincipal user, string via, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        return (await AcquireAsync(framework, via, user.RequireUserId(), sandboxes.QuotaFor(user), cancellationToken)).Sandbox;
    }

    public async Task<PoolAcquisition> AcquireAsync(FrameworkDefinition framework, string sessionId, string owner, int perUserLimit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(framework);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        var started = time.GetTimestamp();
        // Not cancellable once a claim may have happened: a claimed sandbox must reach its session.
        var claimant = new PoolClaimant(owner, perUserLimit);
        if ((await TryClaimAsync(framework, sessionId, claimant) ?? await WaitForStartingAsync(framework, sessionId, claimant, cancellationToken)) is { } claimed)
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

    /// <summary>
    /// Waits for a member that is starting, when one is not already awaited by another claimant and it should be ready
    /// before a cold start begun now would be; claims it when it is. Null when there is none to wait for or the wait ran
    /// out (bounded by the member's expected rest plus one cold start's estimate).
    /// </summary>
    private async Task<PoolAcquisition?> WaitForStartingAsync(FrameworkDefinition framework, string sessionId, PoolClaimant claimant, CancellationToken cancellationToken)
    {
        if (statistics.ProvisionEstimate(framework.Name) is not { } coldStart)
        {
            return null;
        }
        var now = time.GetUtcNow();
        var starting = members.Of(framework.Name).Where(m => !view.IsReady(m) && m.UnreadySince is not null).ToList();
        var soonest = starting.Select(m => coldStart - (now - m.UnreadySince!.Value)).DefaultIfEmpty(TimeSpan.MaxValue).Min();
        lock (_waiting)
        {
            var waiting = _waiting.GetValueOrDefault(framework.Name);
            if (starting.Count <= waiting || soonest >= coldStart)
            {
                return null;
            }
            _waiting[framework.Name] = waiting + 1;
        }
        try
        {
            LogWaiting(logger, framework.Name, starting.Count, Math.Max(soonest.TotalSeconds, 0));
            // The expected rest plus one whole cold start: a late member is waited for a while (one started cold now would
            // be later still), a stuck one costs a miss at most that much more.
            using var deadline = new CancellationTokenSource(TimeSpan.FromTicks(Math.Max(soonest.Ticks, 0)) + coldStart, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
            while (true)
            {
                var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                void OnChanged() => changed.TrySetResult();
                signal.Changed += OnChanged;
                try
                {
                    if (await TryClaimAsync(framework, sessionId, claimant) is { } claimed)
                    {
                        return claimed;
                    }
                    if (!members.Of(framework.Name).Any(m => !view.IsReady(m)))
                    {
                        return null;
                    }
                    // A member that turns ready raises the pool's change (its start ends); the preview's own readiness
                    // may land just after, so look again at least every 100 ms.
                    await changed.Task.WaitAsync(TimeSpan.FromMilliseconds(100), time, linked.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
                finally
                {
                    signal.Changed -= OnChanged;
                }
                if (linked.IsCancellationRequested)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    return null;
                }
            }
        }
        finally
        {
            lock (_waiting)
            {
                _waiting[framework.Name]--;
            }
        }
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

    [LoggerMessage(EventId = 1042, Level = LogLevel.Information, Message = "No ready {Framework} member: waiting for one of the {Starting} starting (the soonest expected in {Seconds:0.00} s)")]
    private static partial void LogWaiting(ILogger logger, string framework, int starting, double seconds);

    [LoggerMessage(EventId = 1041, Level = LogLevel.Information, Message = "Warm pool miss for {Framework}: sandbox {SandboxId} starts cold")]
    private static partial void LogMiss(ILogger logger, string framework, string sandboxId);
}
