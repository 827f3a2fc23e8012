using System.Linq.Expressions;
using System.Text.Json;
using LivePreview.Persistence;
using LivePreview.Sandboxes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.Extensions.Options;

namespace LivePreview.Tasks;

/// <summary>
/// The database-backed task queue shared by every instance of the service. There is no in-memory lock: a claim is one
/// conditional UPDATE on the oldest highest-priority due row, and the rows it affected say whether this instance won.
/// On SQLite the writer lock serialises the statements and the repeated condition in the outer WHERE makes a lost race
/// affect no row; on PostgreSQL the claim is a transaction that reads the next due id <c>FOR UPDATE SKIP LOCKED</c> and then
/// updates that row, so that concurrent claimers skip each other's row instead of waiting on it.
/// Every later step (renew, advance, complete, fail) names the claim's <see cref="TaskLease.Token"/>: a worker whose lease
/// lapsed and whose task another instance reclaimed changes nothing any more.
/// </summary>
public sealed partial class TaskQueue(
    IDbContextFactory<LivePreviewDbContext> dbFactory, IOptionsMonitor<TaskOptions> options, TimeProvider time, ILogger<TaskQueue> logger)
{
    /// <summary>How often a claim retries after another instance took the row it aimed at while other rows are still due.</summary>
    private const int ClaimRaces = 16;

    public async Task<TaskRecord> EnqueueAsync(NewTask task, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(task);
        var now = time.GetUtcNow();
        var record = new TaskRecord
        {
            Id = TaskRecord.IdPrefix + SandboxId.New(), Owner = task.Owner, Title = task.Title, Description = task.Description ?? "",
            RepositoryUrl = task.RepositoryUrl, BaseBranch = task.BaseBranch,
            RequiredCapabilities = JsonSerializer.Serialize(task.RequiredCapabilities ?? []), Agent = task.Agent, Priority = task.Priority,
            Status = TaskState.Queued, MaxAttempts = task.MaxAttempts ?? options.CurrentValue.MaxAttempts, NextAttemptAt = now,
            CreatedAt = now, UpdatedAt = now,
        };
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.Tasks.Add(record);
        await db.SaveChangesAsync(ct);
        LogEnqueued(logger, record.Id, record.Priority);
        return record;
    }

    public async Task<TaskRecord?> GetAsync(string id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Tasks.AsNoTracking().SingleOrDefaultAsync(t => t.Id == id, ct);
    }

    /// <summary>The newest tasks first, at most <paramref name="limit"/>: the owner's, or every one when <paramref name="owner"/> is null (admins).</summary>
    public async Task<IReadOnlyList<TaskRecord>> ListAsync(string? owner, int limit, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Tasks.AsNoTracking();
        if (owner is not null)
        {
            query = query.Where(t => t.Owner == owner);
        }
        return await query.OrderByDescending(t => t.CreatedAt).ThenByDescending(t => t.Id).Take(limit).ToListAsync(ct);
    }

    /// <summary>
    /// Claims the due task with the highest priority (oldest first among equals) for <paramref name="instanceId"/>: a queued
    /// task whose next attempt is due, or a claimed one whose lease lapsed (its worker crashed or hung). Null when none is due.
    /// </summary>
    public async Task<TaskClaim?> TryClaimAsync(string instanceId, TimeSpan? lease, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        var leaseFor = lease ?? options.CurrentValue.Lease;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        for (var race = 0; race < ClaimRaces; race++)
        {
            var now = time.GetUtcNow();
            await FailExhaustedAsync(db, now, ct);
            var token = Guid.NewGuid().ToString("N");
            var due = Claimable(now);
            Action<UpdateSettersBuilder<TaskRecord>> claim = s => s
                .SetProperty(t => t.Status, TaskState.Claimed)
                .SetProperty(t => t.ClaimedBy, instanceId)
                .SetProperty(t => t.LeaseToken, token)
                .SetProperty(t => t.LeaseUntil, now + leaseFor)
                .SetProperty(t => t.Attempts, t => t.Attempts + 1)
                .SetProperty(t => t.UpdatedAt, now);
            var postgres = db.Database.IsNpgsql();
            var claimed = postgres
                ? await ClaimSkippingLockedAsync(db, due, claim, ct)
                : await ClaimConditionallyAsync(db, due, claim, ct);
            if (claimed == 1)
            {
                var record = await db.Tasks.AsNoTracking().SingleAsync(t => t.LeaseToken == token, ct);
                LogClaimed(logger, record.Id, instanceId, record.Attempts);
                return new TaskClaim(record, new TaskLease(record.Id, token, instanceId, now + leaseFor));
            }
            // Nothing affected: either nothing is due, or (SQLite) another instance took the row between our subquery and
            // our write. On PostgreSQL a miss means every due row is locked by other claimers: nothing is left for us.
            if (postgres || !await db.Tasks.AnyAsync(due, ct))
            {
                return null;
            }
        }
        return null;
    }

    /// <summary>The due tasks' ids, highest priority first, oldest first among equals.</summary>
    private static IQueryable<string> InClaimOrder(LivePreviewDbContext db, Expression<Func<TaskRecord, bool>> due) =>
        db.Tasks.Where(due).OrderByDescending(t => t.Priority).ThenBy(t => t.CreatedAt).ThenBy(t => t.Id).Select(t => t.Id);

    /// <summary>SQLite: one UPDATE of the first due row that repeats the condition, so a lost race affects no row.</summary>
    private static Task<int> ClaimConditionallyAsync(
        LivePreviewDbContext db, Expression<Func<TaskRecord, bool>> due, Action<UpdateSettersBuilder<TaskRecord>> claim, CancellationToken ct)
    {
        var next = InClaimOrder(db, due).Take(1);
        return db.Tasks.Where(t => next.Contains(t.Id)).Where(due).ExecuteUpdateAsync(claim, ct);
    }

    /// <summary>
    /// PostgreSQL: lock the next due row, skipping rows other claimers hold, then claim it in the same transaction. Under
    /// READ COMMITTED a plain conditional UPDATE would make every claimer queue on the same first row; SKIP LOCKED lets
    /// eight claimers take eight rows at once, and the lock means the row cannot change between the read and the write.
    /// </summary>
    private static async Task<int> ClaimSkippingLockedAsync(
        LivePreviewDbContext db, Expression<Func<TaskRecord, bool>> due, Action<UpdateSettersBuilder<TaskRecord>> claim, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var id = await InClaimOrder(db, due).ForUpdateSkipLocked().FirstOrDefaultAsync(ct);
        if (id is null)
        {
            return 0;
        }
        var claimed = await db.Tasks.Where(t => t.Id == id).Where(due).ExecuteUpdateAsync(claim, ct);
        await transaction.CommitAsync(ct);
        return claimed;
    }

    /// <summary>Extends the lease; throws <see cref="TaskLeaseLostException"/> when the task was reclaimed, cancelled or ended meanwhile.</summary>
    public async Task<TaskLease> RenewLeaseAsync(TaskLease lease, TimeSpan? extension, CancellationToken ct)
    {
        var until = time.GetUtcNow() + (extension ?? options.CurrentValue.Lease);
        await UpdateHeldAsync(lease, s => s.SetProperty(t => t.LeaseUntil, until), ct);
        return lease with { Until = until };
    }

    /// <summary>Records progress and moves the task to <paramref name="state"/> (Running or Pushing) under the same lease.</summary>
    public Task AdvanceAsync(TaskLease lease, TaskState state, TaskProgress progress, CancellationToken ct)
    {
        if (state is not (TaskState.Running or TaskState.Pushing))
        {
            throw new ArgumentOutOfRangeException(nameof(state), state, "A worker advances a task to Running or Pushing; it ends one with CompleteAsync or FailAsync.");
        }
        return UpdateHeldAsync(lease, s => Progress(s, progress).SetProperty(t => t.Status, state), ct);
    }

    public async Task CompleteAsync(TaskLease lease, TaskProgress progress, CancellationToken ct)
    {
        await UpdateHeldAsync(lease, s => Released(Progress(s, progress)).SetProperty(t => t.Status, TaskState.Completed).SetProperty(t => t.Error, (string?)null), ct);
        LogCompleted(logger, lease.TaskId);
    }

    /// <summary>
    /// Ends this attempt. A retryable failure queues the task again after an exponential backoff (RetryBackoff, doubled per
    /// further attempt, at most MaxRetryBackoff) while attempts remain; otherwise the task is Failed. Returns the new state.
    /// </summary>
    public async Task<TaskState> FailAsync(TaskLease lease, string error, bool retryable, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var task = await db.Tasks.AsNoTracking().SingleOrDefaultAsync(t => t.Id == lease.TaskId, ct);
        var now = time.GetUtcNow();
        var retry = retryable && task is not null && task.Attempts < task.MaxAttempts;
        var state = retry ? TaskState.Queued : TaskState.Failed;
        var next = retry ? now + Backoff(task!.Attempts) : task?.NextAttemptAt ?? now;
        await UpdateHeldAsync(lease, s => Released(s).SetProperty(t => t.Status, state).SetProperty(t => t.Error, error).SetProperty(t => t.NextAttemptAt, next), ct);
        LogFailed(logger, lease.TaskId, state, error);
        return state;
    }

    /// <summary>Cancels the owner's task unless it already ended; a worker holding it loses its lease at its next step.</summary>
    public async Task<bool> CancelAsync(string taskId, string owner, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = time.GetUtcNow();
        var cancelled = await db.Tasks
            .Where(t => t.Id == taskId && t.Owner == owner && t.Status != TaskState.Completed && t.Status != TaskState.Failed && t.Status != TaskState.Cancelled)
            .ExecuteUpdateAsync(s => Released(s).SetProperty(t => t.Status, TaskState.Cancelled).SetProperty(t => t.UpdatedAt, now), ct);
        return cancelled == 1;
    }

    private TimeSpan Backoff(int attempts)
    {
        var o = options.CurrentValue;
        var factor = Math.Pow(2, Math.Clamp(attempts - 1, 0, 30));
        return TimeSpan.FromTicks((long)Math.Min(o.RetryBackoff.Ticks * factor, o.MaxRetryBackoff.Ticks));
    }

    /// <summary>A lapsed lease on a task with no attempts left ends it: a task that crashes its worker every time must not loop.</summary>
    private static Task<int> FailExhaustedAsync(LivePreviewDbContext db, DateTimeOffset now, CancellationToken ct) =>
        db.Tasks.Where(Lapsed(now)).Where(t => t.Attempts >= t.MaxAttempts)
            .ExecuteUpdateAsync(s => Released(s).SetProperty(t => t.Status, TaskState.Failed)
                .SetProperty(t => t.Error, "The worker holding the task stopped renewing its lease on the last attempt (it crashed or hung).")
                .SetProperty(t => t.UpdatedAt, now), ct);

    private async Task UpdateHeldAsync(TaskLease lease, Func<UpdateSettersBuilder<TaskRecord>, UpdateSettersBuilder<TaskRecord>> set, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = time.GetUtcNow();
        var updated = await db.Tasks.Where(Held(lease))
            .ExecuteUpdateAsync(s => set(s).SetProperty(t => t.UpdatedAt, now), ct);
        if (updated != 1)
        {
            var current = await db.Tasks.AsNoTracking().Where(t => t.Id == lease.TaskId).Select(t => (TaskState?)t.Status).SingleOrDefaultAsync(ct);
            throw new TaskLeaseLostException(lease.TaskId, current);
        }
    }

    private static Expression<Func<TaskRecord, bool>> Held(TaskLease lease) =>
        t => t.Id == lease.TaskId && t.LeaseToken == lease.Token
            && (t.Status == TaskState.Claimed || t.Status == TaskState.Running || t.Status == TaskState.Pushing);

    private static Expression<Func<TaskRecord, bool>> Claimable(DateTimeOffset now) =>
        t => (t.Status == TaskState.Queued && t.NextAttemptAt <= now)
            || ((t.Status == TaskState.Claimed || t.Status == TaskState.Running || t.Status == TaskState.Pushing) && t.LeaseUntil < now && t.Attempts < t.MaxAttempts);

    private static Expression<Func<TaskRecord, bool>> Lapsed(DateTimeOffset now) =>
        t => (t.Status == TaskState.Claimed || t.Status == TaskState.Running || t.Status == TaskState.Pushing) && t.LeaseUntil < now;

    private static UpdateSettersBuilder<TaskRecord> Released(UpdateSettersBuilder<TaskRecord> s) =>
        s.SetProperty(t => t.ClaimedBy, (string?)null).SetProperty(t => t.LeaseToken, (string?)null).SetProperty(t => t.LeaseUntil, (DateTimeOffset?)null);

    /// <summary>Only the fields the worker learnt: a null in <paramref name="progress"/> keeps what the row has.</summary>
    private static UpdateSettersBuilder<TaskRecord> Progress(UpdateSettersBuilder<TaskRecord> s, TaskProgress progress) => s
        .SetProperty(t => t.SandboxId, t => progress.SandboxId ?? t.SandboxId)
        .SetProperty(t => t.Branch, t => progress.Branch ?? t.Branch)
        .SetProperty(t => t.CommitSha, t => progress.CommitSha ?? t.CommitSha)
        .SetProperty(t => t.PullRequestUrl, t => progress.PullRequestUrl ?? t.PullRequestUrl)
        .SetProperty(t => t.PreviewUrl, t => progress.PreviewUrl ?? t.PreviewUrl);
}

/// <summary>What a caller asks for; <see cref="MaxAttempts"/> null takes LivePreview:Tasks:MaxAttempts.</summary>
public sealed record NewTask(string Owner, string Title, string RepositoryUrl, string BaseBranch)
{
    public string? Description { get; init; }
    public IReadOnlyList<string>? RequiredCapabilities { get; init; }
    public string? Agent { get; init; }
    public int Priority { get; init; }
    public int? MaxAttempts { get; init; }
}

/// <summary>A claim's proof: only the holder of <see cref="Token"/> may move the task on.</summary>
public sealed record TaskLease(string TaskId, string Token, string InstanceId, DateTimeOffset Until);

public sealed record TaskClaim(TaskRecord Task, TaskLease Lease);

/// <summary>What a worker learnt so far; null fields are left as they are.</summary>
public sealed record TaskProgress(string? SandboxId = null, string? Branch = null, string? CommitSha = null, string? PullRequestUrl = null, string? PreviewUrl = null);

/// <summary>The lease is gone: another instance reclaimed the task after it lapsed, the owner cancelled it, or it already ended.</summary>
public sealed class TaskLeaseLostException(string taskId, TaskState? current)
    : Exception($"Task {taskId} is no longer held by this worker (it is {current?.ToString() ?? "gone"}): stop working on it.")
{
    public string TaskId { get; } = taskId;
    public TaskState? Current { get; } = current;
}
