using LivePreview.AgentSessions;
using LivePreview.Persistence;
using LivePreview.Previews;
using LivePreview.Sandboxes;

namespace LivePreview.Hosting;

/// <summary>
/// Migrates the database and marks agent sessions and prototype prompts left running by a previous process interrupted before the server listens; once it listens (so preview URLs know the real
/// port), loads previews and reconciles sandboxes with what really runs. At shutdown, stops every
/// dev server and background job before the container disposes the rest.
/// </summary>
internal sealed partial class StartupReconciliation(
    IServiceProvider services,
    IHostApplicationLifetime lifetime,
    PreviewManager previews,
    SandboxManager sandboxes,
    AgentSessionManager agentSessions,
    Prototypes.PrototypeManager prototypes,
    BackgroundWork background,
    StartupBarrier barrier,
    Instances.InstanceRegistry instances,
    ILogger<StartupReconciliation> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await services.MigrateDatabaseAsync(cancellationToken);
        // The key ring is in the database (cookies of every instance): made or read once here, before the first request.
        services.EnsureDataProtectionKey();
        // Everything below reads "this instance's sandboxes"; rows from before instances existed are this one's.
        await instances.AdoptUnassignedAsync(cancellationToken);
        // Before the server listens, so no session started by this process can be taken for a stale one.
        await agentSessions.ReconcileAsync(cancellationToken);
        await prototypes.ReconcileAsync(cancellationToken);
        // Before anything can start a command: the ones recorded as running died with the previous service.
        if (services.GetService<Commands.CommandService>() is { } commands)
        {
            await commands.MarkLostAsync(cancellationToken);
        }
        lifetime.ApplicationStarted.Register(() => background.Run("start-up reconciliation", async ct =>
        {
            try
            {
                await previews.LoadAsync(ct);
                await sandboxes.ReconcileAsync(ct);
                LogReconciled(logger);
            }
            finally
            {
                barrier.Open();
            }
        }));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await background.DisposeAsync();
        await previews.DisposeAsync();
    }

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Start-up reconciliation finished")]
    private static partial void LogReconciled(ILogger logger);
}
