using System.Collections.Concurrent;
using LivePreview.Frameworks;
using LivePreview.Hosting;
using LivePreview.Previews;
using LivePreview.Sandboxes;
using Microsoft.Extensions.Options;

namespace LivePreview.WarmPool;

/// <summary>
/// Keeps every pooled framework at its size. After start-up reconciliation it adopts the members of
/// the last run, then loops: a health pass every <see cref="WarmPoolOptions.HealthInterval"/>, and a
/// refill whenever something changed (a claim, an eviction, a start that ended), with at most
/// <see cref="WarmPoolOptions.MaxParallelStarts"/> sandboxes provisioning at once.
/// </summary>
internal sealed partial class PoolFiller(
    PoolMembers members,
    PoolProvisioner provisioner,
    PoolHealthPass health,
    PoolSignal signal,
    PreviewAddress address,
    StartupBarrier barrier,
    IOptionsMonitor<WarmPoolOptions> options,
    TimeProvider time,
    ILogger<PoolFiller> logger) : BackgroundService
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, Task> _starting = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Backoff> _backoff = new(StringComparer.Ordinal);
    private bool _memoryLowLogged;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await barrier.WaitAsync(stoppingToken);
            // Nothing is filled before the last run's members are known: they would be made twice.
            while (!await RunSafelyAsync("adoption", () => health.AdoptAsync(stoppingToken), stoppingToken))
            {
                await Task.Delay(options.CurrentValue.HealthInterval, time, stoppingToken);
            }
            var nextCheck = time.GetUtcNow();
            while (true)
            {
                var o = options.CurrentValue;
                if (time.GetUtcNow() >= nextCheck)
                {
                    await RunSafelyAsync("health pass", () => health.RunAsync(o, _starting.ContainsKey, stoppingToken), stoppingToken);
                    nextCheck = time.GetUtcNow() + o.HealthInterval;
                }
                await RunSafelyAsync("refill", () => { Replenish(o, stoppingToken); return Task.CompletedTask; }, stoppingToken);
                await signal.WaitAsync(NextWake(nextCheck) - time.GetUtcNow(), time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Provisioning stops with the service; what it made stays for the next start to adopt.
            await Task.WhenAll(_starting.Values).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// Which frameworks get a new sandbox now: the one furthest below its size first, one at a time,
    /// until the parallel starts are used up. Members being provisioned count as members.
    /// </summary>
    public static IReadOnlyList<string> Plan(IReadOnlyDictionary<string, int> targets, IReadOnlyDictionary<string, int> counts, int starting, int maxParallel)
    {
        var plan = new List<string>();
        var planned = counts.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        while (starting + plan.Count < maxParallel)
        {
            var next = targets.Where(t => t.Value > planned.GetValueOrDefault(t.Key))
                .OrderByDescending(t => t.Value - planned.GetValueOrDefault(t.Key)).ThenBy(t => t.Key, StringComparer.Ordinal)
                .Select(t => t.Key).FirstOrDefault();
            if (next is null)
            {
                break;
            }
            plan.Add(next);
            planned[next] = planned.GetValueOrDefault(next) + 1;
        }
        return plan;
    }

    private void Replenish(WarmPoolOptions o, CancellationToken stoppingToken)
    {
        var now = time.GetUtcNow();
        var targets = Poolable(o).Where(f => !_backoff.TryGetValue(f.Name, out var b) || b.Until <= now)
            .ToDictionary(f => f.Name, f => o.TargetSize(f.Name), StringComparer.Ordinal);
        var counts = targets.Keys.ToDictionary(f => f, members.Count, StringComparer.Ordinal);
        var plan = Plan(targets, counts, _starting.Count, o.MaxParallelStarts);
        if (plan.Count > 0 && !HasMemoryHeadroom(o))
        {
            return;
        }
        foreach (var name in plan)
        {
            FrameworkCatalog.TryGet(name, out var framework);
            var member = new PoolMember(SandboxId.New(), name, now, ReadyAt: null, UnreadySince: now);
            members.Add(member);
            // Registered before it runs, so the health pass never sees the member without its sandbox as "gone".
            var start = new TaskCompletionSource();
            _starting[member.SandboxId] = start.Task;
            _ = StartAsync(member, framework, o.StartTimeout, start, stoppingToken);
        }
        if (plan.Count > 0)
        {
            signal.Notify();
        }
    }

    private async Task StartAsync(PoolMember member, FrameworkDefinition framework, TimeSpan timeout, TaskCompletionSource done, CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            var ready = await provisioner.ProvisionAsync(member, framework, timeout, stoppingToken);
            RecordOutcome(framework.Name, ready);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogLoopFailed(logger, ex, $"start of {member.SandboxId}");
            RecordOutcome(framework.Name, ready: false);
        }
        finally
        {
            _starting.TryRemove(member.SandboxId, out _);
            done.TrySetResult();
            signal.Notify();
        }
    }

    /// <summary>Failures in a row push the framework's next start back exponentially, so a broken template does not spin.</summary>
    private void RecordOutcome(string framework, bool ready)
    {
        if (ready)
        {
            _backoff.TryRemove(framework, out _);
            return;
        }
        var failures = (_backoff.TryGetValue(framework, out var b) ? b.Failures : 0) + 1;
        var delay = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, options.CurrentValue.RetryBackoff.Ticks * (1L << Math.Min(failures - 1, 20))));
        _backoff[framework] = new Backoff(failures, time.GetUtcNow() + delay);
    }

    /// <summary>Next is pooled in host mode only: it cannot serve under a path prefix.</summary>
    private IEnumerable<FrameworkDefinition> Poolable(WarmPoolOptions o) =>
        o.Pooled().Where(f => !(address.Mode == PreviewUrlMode.Path && f.Kind == DevServerKind.Next));

    private bool HasMemoryHeadroom(WarmPoolOptions o)
    {
        var available = SandboxMemory.AvailableOnMachine();
        var enough = o.MinAvailableMemoryMb == 0 || available is null || available >= o.MinAvailableMemoryMb * 1024L * 1024L;
        if (!enough && !_memoryLowLogged)
        {
            LogMemoryLow(logger, available!.Value / 1024 / 1024, o.MinAvailableMemoryMb);
        }
        _memoryLowLogged = !enough;
        return enough;
    }

    private DateTimeOffset NextWake(DateTimeOffset nextCheck) =>
        _backoff.Values.Select(b => b.Until).Where(u => u > time.GetUtcNow()).Append(nextCheck).Min();

    /// <summary>False (and logged) when the work failed: one bad pass must not end the loop, nor the host with it.</summary>
    private async Task<bool> RunSafelyAsync(string what, Func<Task> work, CancellationToken stoppingToken)
    {
        try
        {
            await work();
            return true;
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            LogLoopFailed(logger, ex, what);
            return false;
        }
    }

    private sealed record Backoff(int Failures, DateTimeOffset Until);

    [LoggerMessage(EventId = 1030, Level = LogLevel.Error, Message = "Warm pool {What} failed")]
    private static partial void LogLoopFailed(ILogger logger, Exception ex, string what);

    [LoggerMessage(EventId = 1031, Level = LogLevel.Warning, Message = "Warm pool not refilling: {AvailableMb} MiB of memory available, {MinimumMb} MiB kept free (LivePreview:WarmPool:MinAvailableMemoryMb)")]
    private static partial void LogMemoryLow(ILogger logger, long availableMb, int minimumMb);
}
