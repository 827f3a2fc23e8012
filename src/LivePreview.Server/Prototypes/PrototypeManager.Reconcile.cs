using LivePreview.Events;
using Microsoft.EntityFrameworkCore;

namespace LivePreview.Prototypes;

public sealed partial class PrototypeManager
{
    internal const string RestartReason = "The service restarted while this prompt ran; what it wrote before is kept. Prompt again to continue.";

    /// <summary>
    /// At start-up, before the server listens: a turn of this instance's sandboxes stored as running has no process any
    /// more (a kill -9, a crash, a lost machine — a clean stop records its own end). It becomes <c>cancelled</c> (the UI's
    /// "Interrupted") with why, and PROMPT_FAILED says so, so neither the API nor a client waits for it forever. The
    /// files it wrote stay in the workspace; the next prompt's checkpoint takes them in.
    /// </summary>
    public async Task ReconcileAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Only this instance's: another instance's turns run there.
        var local = db.Sandboxes.Where(x => x.InstanceId == instance.Id).Select(x => x.Id);
        var stale = await (from t in db.PrototypeTurns
                           join s in db.PrototypeSessions on t.SessionId equals s.Id
                           where t.Status == TurnStatus.Running && local.Contains(s.SandboxId)
                           select new { TurnId = t.Id, SessionId = s.Id, s.SandboxId }).AsNoTracking().ToListAsync(ct);
        foreach (var turn in stale)
        {
            await db.PrototypeTurns.Where(t => t.Id == turn.TurnId && t.Status == TurnStatus.Running).ExecuteUpdateAsync(u => u
                .SetProperty(t => t.Status, TurnStatus.Cancelled)
                .SetProperty(t => t.Error, RestartReason)
                .SetProperty(t => t.CompletedAt, time.GetUtcNow()), ct);
            await events.PublishAsync(new EventDraft(EventTypes.PromptFailed, "prototype", turn.SessionId, turn.SandboxId, new
            {
                turn_id = turn.TurnId, status = TurnStatus.Cancelled, error = RestartReason, checkpoint_id = (string?)null, fix_attempts = 0,
            }), ct);
        }
        if (stale.Count > 0)
        {
            LogReconciledRunning(logger, stale.Count);
        }
    }

    [LoggerMessage(EventId = 2895, Level = LogLevel.Warning, Message = "{Count} prototype prompts were running when the service stopped; they are now cancelled (interrupted) and their edits kept")]
    private static partial void LogReconciledRunning(ILogger logger, int count);
}
