using LivePreview.Events;
using Microsoft.Extensions.Options;

namespace LivePreview.Egress;

/// <summary>
/// Reports refused egress as a log line and an <c>EGRESS_REFUSED</c> event, at most
/// <see cref="EgressOptions.MaxRefusalReportsPerMinute"/> per sandbox and minute: a sandbox that
/// hammers the proxy must not be able to flood the log or the event store.
/// </summary>
internal sealed class EgressRefusals(IEventBus events, IOptions<EgressOptions> options, TimeProvider time, ILogger<EgressRefusals> logger)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (DateTimeOffset Start, int Count)> _windows = new(StringComparer.Ordinal);

    public async Task ReportAsync(string sandboxId, string target, string reason)
    {
        var max = options.Value.MaxRefusalReportsPerMinute;
        int count;
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var window = _windows.TryGetValue(sandboxId, out var w) && now - w.Start < Window ? w : (Start: now, Count: 0);
            count = window.Count + 1;
            _windows[sandboxId] = (window.Start, count);
        }
        if (count == max + 1)
        {
            EgressLog.RefusalsSuppressed(logger, sandboxId, max);
        }
        if (count > max)
        {
            return;
        }
        EgressLog.Refused(logger, sandboxId, target, reason);
        try
        {
            await events.PublishAsync(new EventDraft(EventTypes.EgressRefused, EntityTypes.Sandbox, sandboxId, sandboxId,
                new { sandbox_id = sandboxId, target, reason }));
        }
        catch (Exception ex)
        {
            EgressLog.ConnectionFailed(logger, sandboxId, ex);
        }
    }

    public void Forget(string sandboxId)
    {
        lock (_gate)
        {
            _windows.Remove(sandboxId);
        }
    }
}
