using LivePreview.Agents;
using LivePreview.Events;
using LivePreview.Git;
using LivePreview.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LivePreview.Prototypes;

public sealed partial class PrototypeManager
{
    private async Task RunTurnAsync(PrototypeSessionRecord session, PrototypeTurnRecord turn, IAgentAdapter agent,
        IReadOnlyList<AgentMessage> history, CancellationTokenSource cts, CancellationToken shutdown)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cts.Token, shutdown);
        var runner = services.GetRequiredService<PrototypeTurnRunner>();
        TurnOutcome? outcome = null;
        Exception? failure = null;
        try
        {
            outcome = await runner.RunAsync(session, turn.Id, turn.Prompt, agent, history, linked.Token);
        }
        catch (Exception ex)
        {
            failure = ex;
            if (ex is not OperationCanceledException)
            {
                LogTurnFailed(logger, ex, turn.Id);
            }
        }
        finally
        {
            _running.TryRemove(session.Id, out _);
            cts.Dispose();
        }
        await CompleteTurnAsync(session, turn, outcome, failure);
    }

    private async Task CompleteTurnAsync(PrototypeSessionRecord session, PrototypeTurnRecord turn, TurnOutcome? outcome, Exception? failure)
    {
        var status = failure is OperationCanceledException ? TurnStatus.Cancelled
            : failure is not null || outcome?.Error is not null ? TurnStatus.Failed : TurnStatus.Completed;
        var error = failure is OperationCanceledException ? "Interrupted." : failure?.Message ?? outcome?.Error;
        await using (var db = await dbFactory.CreateDbContextAsync(CancellationToken.None))
        {
            await db.PrototypeTurns.Where(t => t.Id == turn.Id).ExecuteUpdateAsync(u => u
                .SetProperty(t => t.Status, status)
                .SetProperty(t => t.Error, error)
                .SetProperty(t => t.Summary, outcome != null ? outcome.Summary : null)
                .SetProperty(t => t.CheckpointId, outcome != null && outcome.Checkpoint != null ? outcome.Checkpoint.Id : null)
                .SetProperty(t => t.FixAttempts, outcome != null ? outcome.FixAttempts : 0)
                .SetProperty(t => t.CompletedAt, time.GetUtcNow()), CancellationToken.None);
        }
        var type = status == TurnStatus.Completed ? EventTypes.PromptCompleted : EventTypes.PromptFailed;
        await events.PublishAsync(new EventDraft(type, "prototype", session.Id, session.SandboxId, new
        {
            turn_id = turn.Id, status, error, checkpoint_id = outcome?.Checkpoint?.Id, fix_attempts = outcome?.FixAttempts ?? 0,
        }), CancellationToken.None);
    }

    public async Task<bool> EndAsync(string id, CancellationToken ct)
    {
        if (await FindAsync(id, ct) is not { } session)
        {
            return false;
        }
        Interrupt(id);
        await sandboxes.DeleteAsync(session.SandboxId, ct);
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            await db.PrototypeSessions.Where(s => s.Id == id).ExecuteUpdateAsync(u => u.SetProperty(s => s.EndedAt, time.GetUtcNow()), ct);
        }
        screenshots.Forget(id);
        await events.PublishAsync(new EventDraft(EventTypes.PrototypeSessionEnded, "prototype", id, session.SandboxId, new { session_id = id }), CancellationToken.None);
        return true;
    }

    public async Task<CheckpointRecord?> RestoreAsync(string id, string checkpointId, CancellationToken ct)
    {
        var session = await RequireAsync(id, ct);
        RefuseWhileWorking(id);
        return await checkpoints.RestoreAsync(session, checkpointId, ct);
    }

    /// <summary>Commits pending edits as a checkpoint, then pushes the history plus one commit carrying the message.</summary>
    public async Task<string> ExportAsync(string id, ExportRequestData request, CancellationToken ct)
    {
        var session = await RequireAsync(id, ct);
        RefuseWhileWorking(id);
        // A remote the policy refuses is a 400 before anything is tried: no checkpoint, no EXPORT_FAILED event.
        var remote = await remotes.CheckAsync(request.RepoUrl, ct);
        try
        {
            await checkpoints.EnsureInitialAsync(session, ct);
            await checkpoints.CommitTurnAsync(session, "export", "Edits before export", ct);
            await using var bundle = await checkpoints.BundleAsync(session, ct);
            var sha = await exporter.PushAsync(bundle, remote, request, ct);
            await events.PublishAsync(new EventDraft(EventTypes.ExportCompleted, "prototype", id, session.SandboxId,
                new { commit_sha = sha, branch = request.Branch, repo_url = request.RepoUrl }), CancellationToken.None);
            return sha;
        }
        catch (Exception ex) when (ex is ExportException or GitRemoteRefusedException or GitException)
        {
            await events.PublishAsync(new EventDraft(EventTypes.ExportFailed, "prototype", id, session.SandboxId,
                new { error = ex.Message, branch = request.Branch }), CancellationToken.None);
            throw;
        }
    }

    private void RefuseWhileWorking(string id)
    {
        if (_running.ContainsKey(id))
        {
            throw new PromptInProgressException();
        }
    }

    [LoggerMessage(EventId = 710, Level = LogLevel.Error, Message = "Prototype turn {TurnId} failed")]
    private static partial void LogTurnFailed(ILogger logger, Exception ex, string turnId);
}
