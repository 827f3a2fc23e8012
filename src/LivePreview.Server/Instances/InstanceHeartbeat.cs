using Microsoft.Extensions.Options;

namespace LivePreview.Instances;

/// <summary>Runs <see cref="InstanceRegistry"/>: registers once the server listens (its address is known then), then beats.</summary>
internal sealed partial class InstanceHeartbeat(
    InstanceRegistry registry,
    IHostApplicationLifetime lifetime,
    IOptions<InstanceOptions> options,
    TimeProvider time,
    ILogger<InstanceHeartbeat> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            try
            {
                await started.Task;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        using var timer = new PeriodicTimer(options.Value.HeartbeatInterval, time);
        var registered = false;
        do
        {
            try
            {
                if (registered)
                {
                    await registry.BeatAsync(stoppingToken);
                }
                else
                {
                    await registry.RegisterAsync(stoppingToken);
                    registered = true;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // The database may be away for a moment: the next beat tries again (others see a late beat, not a lost one,
                // until LostAfter).
                LogBeatFailed(logger, ex);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await registry.StopAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogBeatFailed(logger, ex);
        }
    }

    [LoggerMessage(EventId = 2823, Level = LogLevel.Warning, Message = "Instance heartbeat failed; the next one tries again")]
    private static partial void LogBeatFailed(ILogger logger, Exception exception);
}
