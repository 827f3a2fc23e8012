using System.Collections.Concurrent;
using LivePreview.Agents;
using LivePreview.Events;
using LivePreview.Hosting;
using LivePreview.Persistence;
using LivePreview.Sandboxes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LivePreview.AgentSessions;

/// <summary>
/// Agent sessions on any sandbox: start, interrupt, resume, and the waiting-for-an-answer state the
/// questions flow sets. A turn runs in the background (<see cref="BackgroundWork"/>); the session's
/// state is persisted at every change, so what the API shows is what survives a restart. Callers check
/// ownership first (<see cref="SandboxManager.RequireVisibleAsync"/>): every method here acts on the
/// caller's own sandbox.
/// </summary>
public sealed partial class AgentSessionManager(
    IDbContextFactory<LivePreviewDbContext> dbFactory,
    SandboxManager sandboxes,
    AgentRegistry agents,
    AgentWorkspaceFactory workspaces,
    AgentEventPublisher publisher,
    Agents.Cli.IAgentQuestions questions,
    WorkspaceChangeTracker changes,
    BackgroundWork background,
    IOptions<AgentSessionOptions> options,
    Instances.InstanceIdentity instance,
    TimeProvider time,
    ILogger<AgentSessionManager> logger)
{
    internal const string RestartReason = "The service restarted while the turn ran; resume to continue.";
    internal const string UserReason = "Interrupted by the user.";
    internal const string SandboxDeletedReason = "The sandbox was deleted.";

    /// <summary>The turn running per session id (at most one).</summary>
    private readonly ConcurrentDictionary<string, RunningTurn> _running = new();

    /// <summary>Starts a session and its first turn; 409 when one is active on the sandbox, 400 for an agent that cannot run.</summary>
    public async Task<AgentSessionView> StartAsync(string sandboxId, StartAgentSessionRequest? request, string? owner, CancellationToken ct)
    {
        var instruction = ValidateInstruction(request?.Instruction)
            ?? throw new InvalidAgentSessionRequestException("Give \"instruction\": what the agent should do.");
        if (ModelNames.Problem(request?.Model) is { } badModel)
        {
            throw new InvalidAgentSessionRequestException(badModel);
        }
        var model = string.IsNullOrWhiteSpace(request?.Model) ? null : request.Model.Trim();
        var availability = agents.Availability(request?.Agent, model);
        if (!availability.Available)
        {
            throw new InvalidAgentSessionRequestException(availability.Problem ?? $"The agent '{availability.Name}' cannot run.");
        }
        var agent = agents.Find(availability.Name)!;
        var (sandbox, _) = await sandboxes.RequireRunningAsync(sandboxId, ct);
        if (await FindActiveAsync(sandboxId, ct) is { } active)
        {
            throw Busy(active);
        }
        var now = time.GetUtcNow();
        var session = new AgentSessionRecord
        {
            Id = "as_" + SandboxId.New(), SandboxId = sandboxId, Owner = sandbox.Owner ?? owner, Agent = agent.Name, Model = model,
            Status = AgentSessionStatus.Running, Instruction = instruction, CreatedAt = now, UpdatedAt = now,
        };
        var turn = NewTurn(session.Id, instruction, now);
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            db.AgentSessions.Add(session);
            db.AgentSessionTurns.Add(turn);
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                // Another start won the race; the unique index on active sessions refused this one.
                if (await FindActiveAsync(sandboxId, CancellationToken.None) is not { } winner)
                {
                    throw;
                }
                throw Busy(winner);
            }
        }
        AgentSessionLog.Started(logger, session.Id, agent.Name, sandboxId);
        await publisher.PublishAsync(Scope(session, turn), EventTypes.SessionStarted,
            new { session_id = session.Id, agent = agent.Name, model, instruction });
        Launch(session, turn, agent, sandbox.Framework, []);
        return AgentSessionView.From(session, [turn]);
    }

    /// <summary>The sandbox's latest session (active or not), or null when it never had one.</summary>
    public async Task<AgentSessionView?> ViewAsync(string sandboxId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var session = await LatestAsync(db, sandboxId, ct);
        return session is null ? null
            : AgentSessionView.From(session, await db.AgentSessionTurns.AsNoTracking().Where(t => t.SessionId == session.Id).ToListAsync(ct));
    }

    /// <summary>The sandbox's running or waiting session, if any: the one a question or an answer belongs to.</summary>
    public async Task<AgentSessionRecord?> FindActiveAsync(string sandboxId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.AgentSessions.AsNoTracking()
            .FirstOrDefaultAsync(s => s.SandboxId == sandboxId && (s.Status == AgentSessionStatus.Running || s.Status == AgentSessionStatus.WaitingForAnswer), ct);
    }

    /// <summary>Cancels the running turn (the adapter's token) and returns once the session is recorded <c>interrupted</c>.</summary>
    public async Task<AgentSessionView> InterruptAsync(string sandboxId, CancellationToken ct)
    {
        var session = await RequireLatestAsync(sandboxId, ct);
        if (!AgentSessionStates.IsActive(session.Status))
        {
            throw new AgentSessionConflictException(
                $"Session '{session.Id}' is {AgentSessionStates.Name(session.Status)}; nothing runs to interrupt. "
                + "Resume it with POST /api/v1/sandbox/{id}/resume (with an \"instruction\" to continue the conversation).");
        }
        if (_running.TryGetValue(session.Id, out var running))
        {
            running.Stop(UserReason);
            await running.Ended.Task.WaitAsync(ct);
        }
        else
        {
            // Recorded active but nothing runs here (it cannot, after start-up reconciliation; repair rather than refuse).
            await MarkInterruptedAsync(session.Id, UserReason, ct);
        }
        return (await ViewAsync(sandboxId, ct))!;
    }

    /// <summary>
    /// A new turn on the latest session: <c>interrupted</c> continues (with the interrupted turn's instruction when none
    /// is given); <c>completed</c> and <c>failed</c> continue the conversation with a new instruction. 409 otherwise.
    /// </summary>
    public async Task<AgentSessionView> ResumeAsync(string sandboxId, string? instruction, CancellationToken ct)
    {
        var session = await RequireLatestAsync(sandboxId, ct);
        instruction = ValidateInstruction(instruction);
        var from = session.Status;
        if (from == AgentSessionStatus.Running)
        {
            throw new AgentSessionConflictException($"Session '{session.Id}' is running; interrupt it first (POST /api/v1/sandbox/{sandboxId}/interrupt) or wait for SESSION_COMPLETED.");
        }
        if (from == AgentSessionStatus.WaitingForAnswer)
        {
            throw new AgentSessionConflictException($"Session '{session.Id}' is waiting_for_answer; answer its question (POST /api/v1/sandbox/{sandboxId}/answer) or interrupt it.");
        }
        var turns = await TurnsAsync(session.Id, ct);
        if (instruction is null && from != AgentSessionStatus.Interrupted)
        {
            throw new AgentSessionConflictException(
                $"Session '{session.Id}' is {AgentSessionStates.Name(from)}: there is nothing to resume. Give an \"instruction\" to continue the conversation.");
        }
        instruction ??= turns[^1].Instruction;
        var agent = agents.Resolve(session.Agent, session.Model);
        var (sandbox, _) = await sandboxes.RequireRunningAsync(sandboxId, ct);
        var history = History(turns);
        var now = time.GetUtcNow();
        var turn = NewTurn(session.Id, instruction, now);
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            int changed;
            try
            {
                changed = await db.AgentSessions.Where(s => s.Id == session.Id && s.Status == from).ExecuteUpdateAsync(u => u
                    .SetProperty(s => s.Status, AgentSessionStatus.Running)
                    .SetProperty(s => s.Error, (string?)null)
                    .SetProperty(s => s.EndedAt, (DateTimeOffset?)null)
                    .SetProperty(s => s.UpdatedAt, now), ct);
            }
            catch (DbUpdateException)
            {
                changed = 0;
            }
            if (changed == 0)
            {
                throw new AgentSessionConflictException($"Session '{session.Id}' changed state while resuming; GET /api/v1/sandbox/{sandboxId}/session shows where it is now.");
            }
            db.AgentSessionTurns.Add(turn);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        session.Status = AgentSessionStatus.Running;
        AgentSessionLog.Resumed(logger, session.Id, turn.Id);
        await publisher.PublishAsync(Scope(session, turn), EventTypes.Resumed,
            new { session_id = session.Id, from = AgentSessionStates.Name(from), instruction });
        Launch(session, turn, agent, sandbox.Framework, history);
        return (await ViewAsync(sandboxId, ct))!;
    }

    /// <summary>
    /// For the questions flow: <paramref name="waiting"/> moves a running session to <c>waiting_for_answer</c>, false moves
    /// it back to <c>running</c>. The turn keeps running meanwhile (the agent is blocked in its tool call). Already in the
    /// wanted state: nothing happens.
    /// </summary>
    /// <exception cref="AgentSessionConflictException">The session is neither running nor waiting (interrupted, ended).</exception>
    public async Task MarkWaitingAsync(string sessionId, bool waiting, CancellationToken ct)
    {
        var (from, to) = waiting
            ? (AgentSessionStatus.Running, AgentSessionStatus.WaitingForAnswer)
            : (AgentSessionStatus.WaitingForAnswer, AgentSessionStatus.Running);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var changed = await db.AgentSessions.Where(s => s.Id == sessionId && s.Status == from)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, to).SetProperty(s => s.UpdatedAt, time.GetUtcNow()), ct);
        if (changed == 0 && await db.AgentSessions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == sessionId, ct) is { } session && session.Status != to)
        {
            throw new AgentSessionConflictException($"Session '{sessionId}' is {AgentSessionStates.Name(session.Status)}; it is not waiting for an answer.");
        }
    }

    /// <summary>Keeps a CLI agent's conversation id (for adapters that resume their own conversation).</summary>
    public async Task SetResumeTokenAsync(string sessionId, string? resumeToken, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.AgentSessions.Where(s => s.Id == sessionId)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.ResumeToken, resumeToken).SetProperty(s => s.UpdatedAt, time.GetUtcNow()), ct);
    }

    private string? ValidateInstruction(string? instruction)
    {
        if (string.IsNullOrWhiteSpace(instruction))
        {
            return null;
        }
        var max = options.Value.MaxInstructionLength;
        return instruction.Length <= max ? instruction
            : throw new InvalidAgentSessionRequestException($"The instruction is {instruction.Length} characters; at most {max} are accepted (LivePreview:AgentSessions:MaxInstructionLength).");
    }

    private static AgentSessionConflictException Busy(AgentSessionRecord active) => new(
        $"Sandbox '{active.SandboxId}' already has session '{active.Id}' ({AgentSessionStates.Name(active.Status)}). "
        + $"Interrupt it with POST /api/v1/sandbox/{active.SandboxId}/interrupt, or wait for SESSION_COMPLETED and continue it with POST /api/v1/sandbox/{active.SandboxId}/resume.");

    private async Task<AgentSessionRecord> RequireLatestAsync(string sandboxId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await LatestAsync(db, sandboxId, ct) ?? throw new AgentSessionNotFoundException(sandboxId);
    }

    private static Task<AgentSessionRecord?> LatestAsync(LivePreviewDbContext db, string sandboxId, CancellationToken ct) =>
        db.AgentSessions.AsNoTracking().Where(s => s.SandboxId == sandboxId).OrderByDescending(s => s.CreatedAt).FirstOrDefaultAsync(ct);

    private async Task<List<AgentSessionTurnRecord>> TurnsAsync(string sessionId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var turns = await db.AgentSessionTurns.AsNoTracking().Where(t => t.SessionId == sessionId).ToListAsync(ct);
        return [.. turns.OrderBy(t => t.StartedAt)];
    }

    /// <summary>Every earlier turn, interrupted and failed ones too (the model should know what it already did), oldest first.</summary>
    private IReadOnlyList<AgentMessage> History(IEnumerable<AgentSessionTurnRecord> turns) =>
        [.. turns.TakeLast(options.Value.HistoryTurns).SelectMany(t => new[]
        {
            new AgentMessage("user", t.Instruction),
            new AgentMessage("assistant", t.Status switch
            {
                AgentSessionTurnStatus.Interrupted => $"{t.Summary}\n(I was interrupted here.)".TrimStart(),
                AgentSessionTurnStatus.Failed => $"{t.Summary}\n(This turn failed: {t.Error})".TrimStart(),
                _ => t.Summary ?? "",
            }),
        })];

    private static AgentSessionTurnRecord NewTurn(string sessionId, string instruction, DateTimeOffset now) => new()
    {
        Id = "at_" + SandboxId.New(), SessionId = sessionId, Instruction = instruction, Status = AgentSessionTurnStatus.Running, StartedAt = now,
    };

    private static AgentEventScope Scope(AgentSessionRecord session, AgentSessionTurnRecord turn) =>
        new(EntityTypes.AgentSession, session.Id, session.SandboxId, turn.Id);

    /// <summary>A running turn: its cancellation, why it was cancelled, and when its end is on record.</summary>
    private sealed class RunningTurn(string turnId)
    {
        public string TurnId { get; } = turnId;

        public CancellationTokenSource Cancellation { get; } = new();

        public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string? Reason { get; private set; }

        public void Stop(string reason)
        {
            Reason ??= reason;
            try
            {
                Cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Ended meanwhile.
            }
        }
    }
}
