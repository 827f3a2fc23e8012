using LivePreview.Events;

namespace LivePreview.AgentSessions;

/// <summary>
/// Ends the sessions of a deleted sandbox (SANDBOX_DELETED), whoever deleted it: the API, a prototype's end, the
/// warm pool. Listening to the event rather than being called keeps SandboxManager free of a dependency on sessions.
/// </summary>
internal sealed class SandboxDeletionWatch(IEventBus events, AgentSessionManager sessions, ILogger<SandboxDeletionWatch> logger) : BackgroundService
{
    private static readonly EventFilter Deleted = new(Types: new HashSet<string>(StringComparer.Ordinal) { EventTypes.SandboxDeleted });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var e in events.SubscribeAsync(Deleted, stoppingToken))
                {
                    if (e.SandboxId is { } sandboxId)
                    {
                        await sessions.OnSandboxDeletedAsync(sandboxId, stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                AgentSessionLog.WatchFailed(logger, ex);
            }
        }
    }
}
