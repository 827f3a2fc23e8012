using LivePreview.Agents;
using LivePreview.Events;
using Microsoft.EntityFrameworkCore;

namespace LivePreview.AgentSessions;

public sealed partial class AgentSessionManager
{
    /// <summary>Runs the turn in the background; it is registered as running before this returns.</summary>
    private void Launch(AgentSessionRecord session, AgentSessionTurnRecord turn, IAgentAdapter agent, string framework, IReadOnlyList<AgentMessage> history)
    {
        var running = new RunningTurn(turn.Id);
        _running[session.Id] = running;
        background.Run($"agent session turn {turn.Id}", shutdown => RunTurnAsync(session, turn, agent, framework, history, running, shutdown));
    }

    private async Task RunTurnAsync(AgentSessionRecord session, AgentSessionTurnRecord turn, IAgentAdapter agent, string framework,
        IReadOnlyList<AgentMessage> history, RunningTurn running, CancellationToken shutdown)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(running.Cancellation.Token, shutdown);
        var transcript = new AgentTranscript();
        string? failure = null;
        var cancelled = false;
        try
        {
            var agentTurn = new AgentTurn(session.Id, session.SandboxId, framework, turn.Instruction, session.Model, history, [], workspaces.For(session.SandboxId),
                session.ResumeToken, questions);
            // A CLI agent edits the workspace itself: the tracker announces its changes (FILE_CHANGED) as its tools finish.
            var agentEvents = changes.Track(session.SandboxId, agent, agent.RunTurnAsync(agentTurn, linked.Token), linked.Token);
            failure = await publisher.StreamAsync(Scope(session, turn), KeepingResumeToken(session, agentEvents, linked.Token), transcript, linked.Token);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            cancelled = true;
        }
        catch (Exception ex)
        {
            AgentSessionLog.TurnCrashed(logger, ex, session.Id, turn.Id);
            failure = $"The turn failed: {ex.Message}";
        }
        // An adapter that reports the cancellation as a failure rather than throwing was still interrupted.
        cancelled |= failure is not null && linked.IsCancellationRequested;
        try
        {
            // Shutdown cancels every turn: it is an interruption the next start can resume, not a failure.
            var reason = running.Reason ?? (shutdown.IsCancellationRequested ? RestartReason : UserReason);
            var end = !cancelled ? (failure is null ? TurnEnd.Completed(transcript) : TurnEnd.Failed(transcript, failure))
                : reason == SandboxDeletedReason ? TurnEnd.Failed(transcript, reason)
                : TurnEnd.Interrupted(transcript, reason);
            await RecordEndAsync(session, turn, end);
        }
        finally
        {
            _running.TryRemove(new KeyValuePair<string, RunningTurn>(session.Id, running));
            running.Ended.TrySetResult();
            running.Cancellation.Dispose();
        }
    }

    /// <summary>
    /// Stores the conversation id a CLI adapter reports (<see cref="AgentSessionState"/>) the moment it comes, so
    /// the next turn — a resume, also after an interrupt or a restart — continues the same conversation.
    /// </summary>
    private async IAsyncEnumerable<AgentEvent> KeepingResumeToken(AgentSessionRecord session, IAsyncEnumerable<AgentEvent> agentEvents,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var e in agentEvents.WithCancellation(ct))
        {
            if (e is AgentSessionState state && state.ResumeToken != session.ResumeToken)
            {
                session.ResumeToken = state.ResumeToken;
                await SetResumeTokenAsync(session.Id, state.ResumeToken, CancellationToken.None);
            }
            yield return e;
        }
    }

    private async Task RecordEndAsync(AgentSessionRecord session, AgentSessionTurnRecord turn, TurnEnd end)
    {
        var now = time.GetUtcNow();
        var summary = end.Transcript.Text.Length == 0 ? null : end.Transcript.Text.ToString();
        await using (var db = await dbFactory.CreateDbContextAsync(CancellationToken.None))
        {
            await using var tx = await db.Database.BeginTransactionAsync(CancellationToken.None);
            await db.AgentSessionTurns.Where(t => t.Id == turn.Id).ExecuteUpdateAsync(u => u
                .SetProperty(t => t.Status, end.TurnStatus)
                .SetProperty(t => t.Summary, summary)
                .SetProperty(t => t.Error, end.Error)
                .SetProperty(t => t.EndedAt, now)
                .SetProperty(t => t.InputTokens, end.Transcript.InputTokens)
                .SetProperty(t => t.OutputTokens, end.Transcript.OutputTokens), CancellationToken.None);
            await db.AgentSessions.Where(s => s.Id == session.Id).ExecuteUpdateAsync(u => u
                .SetProperty(s => s.Status, end.SessionStatus)
                .SetProperty(s => s.Error, end.Error)
                .SetProperty(s => s.UpdatedAt, now)
                .SetProperty(s => s.EndedAt, end.SessionStatus == AgentSessionStatus.Interrupted ? null : now), CancellationToken.None);
            await tx.CommitAsync(CancellationToken.None);
        }
        var status = AgentSessionStates.Name(end.SessionStatus);
        AgentSessionLog.TurnEnded(logger, session.Id, turn.Id, status);
        var scope = Scope(session, turn);
        switch (end.SessionStatus)
        {
            case AgentSessionStatus.Interrupted:
                AgentSessionLog.Interrupted(logger, session.Id, end.Error!);
                await publisher.PublishAsync(scope, EventTypes.Interrupted, new { session_id = session.Id, status, reason = end.Error });
                break;
            case AgentSessionStatus.Completed:
                await publisher.PublishAsync(scope, EventTypes.SessionCompleted, new
                {
                    session_id = session.Id, status, summary, input_tokens = end.Transcript.InputTokens, output_tokens = end.Transcript.OutputTokens,
                });
                break;
            default:
                await publisher.PublishAsync(scope, EventTypes.SessionFailed, new { session_id = session.Id, status, error = end.Error });
                break;
        }
    }

    /// <summary>
    /// At start-up, before the server listens: a session of this instance's sandboxes recorded running or waiting has no turn any more (the process
    /// that ran it is gone). It becomes <c>interrupted</c>, so a resume continues it with its history.
    /// </summary>
    public async Task ReconcileAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Only this instance's: another instance's sessions run there.
        var local = db.Sandboxes.Where(x => x.InstanceId == instance.Id).Select(x => x.Id);
        var stale = await db.AgentSessions.AsNoTracking()
            .Where(s => (s.Status == AgentSessionStatus.Running || s.Status == AgentSessionStatus.WaitingForAnswer) && local.Contains(s.SandboxId))
            .Select(s => s.Id).ToListAsync(ct);
        foreach (var id in stale)
        {
            await MarkInterruptedAsync(id, RestartReason, ct);
        }
        if (stale.Count > 0)
        {
            AgentSessionLog.ReconciledRunning(logger, stale.Count);
        }
    }

    /// <summary>
    /// The instance that ran these sandboxes is lost: their running or waiting sessions become <c>interrupted</c> with
    /// <paramref name="reason"/> (a resume continues them once a sandbox runs again).
    /// </summary>
    public async Task InterruptOnLostSandboxesAsync(IReadOnlyList<string> sandboxIds, string reason, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var open = await db.AgentSessions.AsNoTracking()
            .Where(s => sandboxIds.Contains(s.SandboxId) && (s.Status == AgentSessionStatus.Running || s.Status == AgentSessionStatus.WaitingForAnswer))
            .Select(s => s.Id).ToListAsync(ct);
        foreach (var id in open)
        {
            await MarkInterruptedAsync(id, reason, ct);
        }
    }

    /// <summary>Records an active session with no running turn as interrupted (its running turns too), with INTERRUPTED.</summary>
    private async Task MarkInterruptedAsync(string sessionId, string reason, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var changed = await db.AgentSessions
            .Where(s => s.Id == sessionId && (s.Status == AgentSessionStatus.Running || s.Status == AgentSessionStatus.WaitingForAnswer))
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, AgentSessionStatus.Interrupted).SetProperty(s => s.Error, reason).SetProperty(s => s.UpdatedAt, now), ct);
        await db.AgentSessionTurns.Where(t => t.SessionId == sessionId && t.Status == AgentSessionTurnStatus.Running).ExecuteUpdateAsync(u => u
            .SetProperty(t => t.Status, AgentSessionTurnStatus.Interrupted).SetProperty(t => t.Error, reason).SetProperty(t => t.EndedAt, now), ct);
        await tx.CommitAsync(ct);
        if (changed > 0 && await db.AgentSessions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == sessionId, ct) is { } session)
        {
            var turnId = await db.AgentSessionTurns.AsNoTracking().Where(t => t.SessionId == sessionId)
                .OrderByDescending(t => t.StartedAt).Select(t => t.Id).FirstOrDefaultAsync(ct) ?? "";
            AgentSessionLog.Interrupted(logger, sessionId, reason);
            await publisher.PublishAsync(new AgentEventScope(EntityTypes.AgentSession, sessionId, session.SandboxId, turnId), EventTypes.Interrupted,
                new { session_id = sessionId, status = "interrupted", reason });
        }
    }

    /// <summary>
    /// The sandbox is gone: its running turn is cancelled and every session of it not yet ended becomes <c>failed</c>
    /// ("The sandbox was deleted."): there is nothing left to resume in.
    /// </summary>
    public async Task OnSandboxDeletedAsync(string sandboxId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var open = await db.AgentSessions.AsNoTracking()
            .Where(s => s.SandboxId == sandboxId && s.Status != AgentSessionStatus.Completed && s.Status != AgentSessionStatus.Failed).ToListAsync(ct);
        foreach (var session in open)
        {
            if (_running.TryGetValue(session.Id, out var running))
            {
                running.Stop(SandboxDeletedReason);
                await running.Ended.Task.WaitAsync(ct);
                continue;
            }
            var now = time.GetUtcNow();
            var changed = await db.AgentSessions.Where(s => s.Id == session.Id && s.Status != AgentSessionStatus.Completed && s.Status != AgentSessionStatus.Failed)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, AgentSessionStatus.Failed).SetProperty(s => s.Error, SandboxDeletedReason)
                    .SetProperty(s => s.UpdatedAt, now).SetProperty(s => s.EndedAt, now), ct);
            if (changed > 0)
            {
                AgentSessionLog.SandboxDeleted(logger, session.Id, sandboxId);
                await publisher.PublishAsync(new AgentEventScope(EntityTypes.AgentSession, session.Id, sandboxId, ""), EventTypes.SessionFailed,
                    new { session_id = session.Id, status = "failed", error = SandboxDeletedReason });
            }
        }
    }

    private sealed record TurnEnd(AgentSessionStatus SessionStatus, AgentSessionTurnStatus TurnStatus, AgentTranscript Transcript, string? Error)
    {
        public static TurnEnd Completed(AgentTranscript t) => new(AgentSessionStatus.Completed, AgentSessionTurnStatus.Completed, t, null);

        public static TurnEnd Failed(AgentTranscript t, string error) => new(AgentSessionStatus.Failed, AgentSessionTurnStatus.Failed, t, error);

        public static TurnEnd Interrupted(AgentTranscript t, string reason) => new(AgentSessionStatus.Interrupted, AgentSessionTurnStatus.Interrupted, t, reason);
    }
}
