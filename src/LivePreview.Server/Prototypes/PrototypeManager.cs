using System.Collections.Concurrent;
using System.Security.Claims;
using LivePreview.Auth;
using LivePreview.Agents;
using LivePreview.Events;
using LivePreview.Frameworks;
using LivePreview.Git;
using LivePreview.Hosting;
using LivePreview.Persistence;
using LivePreview.Previews;
using LivePreview.Sandboxes;
using LivePreview.WarmPool;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LivePreview.Prototypes;

/// <summary>
/// Prototyping sessions: a sandbox with its preview, one prompt at a time (single flight), the turn
/// in the background with its events, checkpoints, export. A session's status is derived from its
/// sandbox, its preview and whether a turn runs — never stored beside them.
/// </summary>
public sealed partial class PrototypeManager(
    IDbContextFactory<LivePreviewDbContext> dbFactory,
    SandboxManager sandboxes,
    PreviewManager previews,
    PreviewAddress address,
    AgentRegistry agents,
    PrototypeCheckpoints checkpoints,
    Screenshots.CheckpointScreenshots screenshots,
    GitExporter exporter,
    GitRemotePolicy remotes,
    IServiceProvider services,
    IEventBus events,
    BackgroundWork background,
    IWarmPool pool,
    IOptions<PrototypeOptions> options,
    Instances.InstanceIdentity instance,
    TimeProvider time,
    ILogger<PrototypeManager> logger)
{
    private readonly ConcurrentDictionary<string, RunningTurn> _running = new();

    /// <summary>A session owned by <paramref name="user"/>; its sandbox (claimed or cold) is theirs and counts against their quota.</summary>
    public async Task<PrototypeSessionView> StartAsync(FrameworkDefinition framework, string? agent, string? model, ClaimsPrincipal user, CancellationToken ct)
    {
        var id = "ps" + SandboxId.New()[..10];
        var owner = user.RequireUserId();
        // A ready sandbox from the warm pool when there is one; otherwise a cold start, the same to the caller.
        var sandbox = (await pool.AcquireAsync(framework, id, owner, sandboxes.QuotaFor(user), ct)).Sandbox;
        var record = new PrototypeSessionRecord
        {
            Id = id, SandboxId = sandbox.Id, Framework = framework.Name, Owner = owner, Agent = agent, Model = model, CreatedAt = time.GetUtcNow(),
        };
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            db.PrototypeSessions.Add(record);
            await db.SaveChangesAsync(ct);
        }
        await events.PublishAsync(new EventDraft(EventTypes.PrototypeSessionStarted, "prototype", record.Id, sandbox.Id,
            new { session_id = record.Id, framework = framework.Name, agent, model }), CancellationToken.None);
        return await ViewAsync(record, ct);
    }

    public async Task<PrototypeSessionRecord?> FindAsync(string id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.PrototypeSessions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id && s.EndedAt == null, ct);
    }

    public async Task<PrototypeSessionRecord> RequireAsync(string id, CancellationToken ct) =>
        await FindAsync(id, ct) ?? throw new PrototypeNotFoundException(id);

    /// <summary>The session when <paramref name="user"/> started it (admins: any); null when it is unknown, ended or someone else's.</summary>
    public async Task<PrototypeSessionRecord?> FindVisibleAsync(string id, ClaimsPrincipal user, CancellationToken ct) =>
        await FindAsync(id, ct) is { } session && user.Owns(session.Owner) ? session : null;

    /// <summary>Like <see cref="FindVisibleAsync"/>, with the unknown-session 404 for someone else's; its checkpoints are reached only through it.</summary>
    public async Task<PrototypeSessionRecord> RequireVisibleAsync(string id, ClaimsPrincipal user, CancellationToken ct) =>
        await FindVisibleAsync(id, user, ct) ?? throw new PrototypeNotFoundException(id);

    public async Task<PrototypeSessionView> ViewAsync(PrototypeSessionRecord session, CancellationToken ct)
    {
        var sandbox = await sandboxes.GetAsync(session.SandboxId, ct);
        FrameworkCatalog.TryGet(session.Framework, out var framework);
        var preview = previews.Find(new PreviewTarget(session.SandboxId, framework.DefaultPort));
        var availability = agents.Availability(session.Agent, session.Model);
        var busy = _running.ContainsKey(session.Id);
        var status = session.EndedAt is not null ? "ended"
            : sandbox?.Status == SandboxStatus.Error || preview?.Status == PreviewStatus.Error ? "error"
            : busy ? "working"
            : preview?.Status == PreviewStatus.Ready ? "ready" : "starting";
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var turns = await db.PrototypeTurns.AsNoTracking().Where(t => t.SessionId == session.Id).ToListAsync(ct);
        return new PrototypeSessionView(session.Id, session.SandboxId, session.Framework, status,
            preview?.Url ?? address.UrlFor(session.SandboxId, framework.DefaultPort), preview?.Status.ToString().ToLowerInvariant() ?? "pending",
            preview?.Error ?? sandbox?.Error, availability.Name, session.Model, availability.Available, availability.Problem,
            turns.OrderBy(t => t.CreatedAt).Select(TurnView.From).ToList(), session.CreatedAt);
    }

    /// <summary>Starts a turn in the background; a second prompt while one runs is refused (409).</summary>
    public async Task<TurnView> PromptAsync(string id, string? prompt, CancellationToken ct)
    {
        var session = await RequireAsync(id, ct);
        prompt = ValidatePrompt(prompt);
        var agent = agents.Resolve(session.Agent);
        var cts = new CancellationTokenSource();
        var turn = new PrototypeTurnRecord { Id = "tn" + SandboxId.New()[..10], SessionId = id, Prompt = prompt, Status = TurnStatus.Running, CreatedAt = time.GetUtcNow() };
        if (!_running.TryAdd(id, new RunningTurn(turn.Id, cts)))
        {
            cts.Dispose();
            throw new PromptInProgressException();
        }
        try
        {
            await sandboxes.RequireRunningAsync(session.SandboxId, ct);
            var history = await HistoryAsync(id, ct);
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
            {
                db.PrototypeTurns.Add(turn);
                await db.SaveChangesAsync(ct);
            }
            await events.PublishAsync(new EventDraft(EventTypes.PromptStarted, "prototype", id, session.SandboxId, new { turn_id = turn.Id, prompt, agent = agent.Name }), CancellationToken.None);
            background.Run($"turn {turn.Id}", shutdown => RunTurnAsync(session, turn, agent, history, cts, shutdown));
            return TurnView.From(turn);
        }
        catch
        {
            _running.TryRemove(id, out _);
            cts.Dispose();
            throw;
        }
    }

    public bool Interrupt(string id)
    {
        if (!_running.TryGetValue(id, out var running))
        {
            return false;
        }
        running.Cancellation.Cancel();
        return true;
    }

    private string ValidatePrompt(string? prompt)
    {
        if (string.IsNullOrWhiteSpace(prompt))
        {
            throw new InvalidPromptException("Give \"prompt\": what the agent should change.");
        }
        return prompt.Length <= options.Value.MaxPromptLength ? prompt
            : throw new InvalidPromptException($"The prompt is {prompt.Length} characters; at most {options.Value.MaxPromptLength} are accepted (LivePreview:Prototypes:MaxPromptLength).");
    }

    private async Task<IReadOnlyList<AgentMessage>> HistoryAsync(string id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var turns = await db.PrototypeTurns.AsNoTracking().Where(t => t.SessionId == id && t.Status == TurnStatus.Completed).ToListAsync(ct);
        return turns.OrderBy(t => t.CreatedAt).TakeLast(10)
            .SelectMany(t => new[] { new AgentMessage("user", t.Prompt), new AgentMessage("assistant", t.Summary ?? "") }).ToList();
    }

    private sealed record RunningTurn(string TurnId, CancellationTokenSource Cancellation);
}
