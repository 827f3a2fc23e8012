using Microsoft.Extensions.Options;

namespace LivePreview.Events;

/// <summary>
/// Deletes events older than <see cref="EventBusOptions.Retention"/> once the service has started and then
/// every <see cref="EventBusOptions.RetentionInterval"/>, in small batches so publishers never wait long.
/// Sequences are never reused (AUTOINCREMENT on SQLite, an identity on PostgreSQL), so a cursor stays valid after a clean-up.
/// </summary>
internal sealed partial class EventRetention(
    EventStore store,
    IOptionsMonitor<EventBusOptions> options,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<EventRetention> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // The database is migrated before the service starts listening.
            await WaitForStartAsync(stoppingToken);
            using var timer = new PeriodicTimer(options.CurrentValue.RetentionInterval, time);
            do
            {
                await DeleteExpiredLoggingFailuresAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Deletes every event older than the retention period; returns how many went.</summary>
    public async Task<int> DeleteExpiredAsync(CancellationToken cancellationToken)
    {
        var o = options.CurrentValue;
        if (o.Retention == TimeSpan.Zero)
        {
            return 0;
        }
        var cutoff = time.GetUtcNow() - o.Retention;
        int deleted, total = 0;
        do
        {
            deleted = await store.DeleteOldestBeforeAsync(cutoff, o.RetentionBatchSize, cancellationToken);
            total += deleted;
        }
        while (deleted == o.RetentionBatchSize);
        return total;
    }

    private async Task DeleteExpiredLoggingFailuresAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (await DeleteExpiredAsync(stoppingToken) is > 0 and var deleted)
            {
                LogDeleted(logger, deleted, options.CurrentValue.Retention);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            LogFailed(logger, e);
        }
    }

    private async Task WaitForStartAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken);
    }

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Deleted {Count} events older than {Retention}")]
    private static partial void LogDeleted(ILogger logger, int count, TimeSpan retention);

    [LoggerMessage(EventId = 105, Level = LogLevel.Error, Message = "Deleting old events failed; retrying at the next interval")]
    private static partial void LogFailed(ILogger logger, Exception ex);
}
