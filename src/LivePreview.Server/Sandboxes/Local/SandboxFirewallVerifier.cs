using LivePreview.Events;
using LivePreview.Hosting;
using Microsoft.Extensions.Options;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// Loads the sandbox firewall at start-up (sandboxes attached after a restart have their network
/// already and would otherwise never load it) and then every <see cref="LocalSandboxOptions.FirewallVerifyInterval"/>
/// checks that it is still what was loaded: a flushed or altered table is restored, logged and
/// published as <c>FIREWALL_RESTORED</c>.
/// </summary>
internal sealed partial class SandboxFirewallVerifier(
    SandboxFirewall firewall, IEventBus events, IOptions<LocalSandboxOptions> options, TimeProvider time, ILogger<SandboxFirewallVerifier> logger,
    ContainmentStatus? containment = null)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.FirewallVerifyInterval, time);
        do
        {
            await VerifyOnceAsync(stoppingToken);
        }
        while (firewall.Enabled && await WaitAsync(timer, stoppingToken));
    }

    private async Task VerifyOnceAsync(CancellationToken stoppingToken)
    {
        try
        {
            var restored = await firewall.VerifyAsync(stoppingToken);
            if (firewall.Enabled)
            {
                containment?.Report(firewall.Enforced());
            }
            if (restored)
            {
                await events.PublishAsync(new EventDraft(EventTypes.FirewallRestored, EntityTypes.Host, "firewall", null,
                    new { table = $"inet {firewall.Table}", message = "The sandbox firewall was flushed or altered and has been restored." }), stoppingToken);
            }
        }
        catch (SandboxUnavailableException ex)
        {
            // Creates fail with the same message until it works; say it here too, once per interval.
            LogUnavailable(logger, ex.Message);
            containment?.Report(ContainmentEntry.Unavailable(SandboxFirewall.ContainmentName, ex.Message));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogVerifyFailed(logger, ex);
        }
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

    [LoggerMessage(EventId = 474, Level = LogLevel.Error, Message = "{Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 475, Level = LogLevel.Error, Message = "Verifying the sandbox firewall failed")]
    private static partial void LogVerifyFailed(ILogger logger, Exception exception);
}
