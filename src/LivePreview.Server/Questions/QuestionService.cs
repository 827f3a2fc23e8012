using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using LivePreview.Events;
using LivePreview.Hosting;
using LivePreview.Persistence;
using LivePreview.Sandboxes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LivePreview.Questions;

/// <summary>What an agent's question came to: the answer, or that nobody answered in time.</summary>
public sealed record QuestionAnswer(string QuestionId, QuestionStatus Status, string? Answer);

/// <summary>A question as the API shows it.</summary>
public sealed record QuestionView(
    string Id, string SandboxId, string? SessionId, string Question, IReadOnlyList<string>? Choices, string Status,
    string? Answer, string? AnsweredBy, DateTimeOffset AskedAt, DateTimeOffset? AnsweredAt, DateTimeOffset ExpiresAt)
{
    public static QuestionView From(QuestionRecord r) => new(r.Id, r.SandboxId, r.SessionId, r.Question, QuestionService.ParseChoices(r.Choices),
        r.Status.ToString().ToLowerInvariant(), r.Answer, r.AnsweredBy, r.AskedAt, r.AnsweredAt, r.ExpiresAt);
}

/// <summary>The outcome of answering: the answered question, or why it could not be answered.</summary>
public enum AnswerOutcome
{
    Answered,
    NothingPending,
    NotFound,
    AlreadyAnswered,
    Expired,
}

/// <summary>
/// Questions agents ask the sandbox's user: persisted, published as <c>QUESTION</c>, answered through the API
/// (<c>ANSWERED</c>), expired after <see cref="QuestionOptions.Expiry"/>. An agent waits in <see cref="AskAsync"/>;
/// several agents (or one that asks again after a restart) asking the same question in the same sandbox share one row.
/// </summary>
public sealed partial class QuestionService(
    IDbContextFactory<LivePreviewDbContext> dbFactory,
    SandboxManager sandboxes,
    IEventBus events,
    IOptions<QuestionOptions> options,
    TimeProvider time,
    ILogger<QuestionService> logger,
    IEnumerable<IQuestionObserver> observers)
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<QuestionAnswer>> _waiting = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>
    /// Asks the sandbox's user and waits for the answer (or the expiry). Throws <see cref="ArgumentException"/> for an
    /// empty or oversized question, <see cref="SandboxNotFoundException"/> when the sandbox is gone.
    /// </summary>
    public async Task<QuestionAnswer> AskAsync(string sandboxId, string? sessionId, string question, IReadOnlyList<string>? choices, CancellationToken ct)
    {
        var o = options.Value;
        question = (question ?? "").Trim();
        if (question.Length == 0 || question.Length > o.MaxTextChars)
        {
            throw new ArgumentException($"A question needs 1 to {o.MaxTextChars} characters.", nameof(question));
        }
        var offered = choices?.Select(c => (c ?? "").Trim()).Where(c => c.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (offered is { Count: > 0 } && (offered.Count > o.MaxChoices || offered.Any(c => c.Length > o.MaxTextChars)))
        {
            throw new ArgumentException($"At most {o.MaxChoices} choices of at most {o.MaxTextChars} characters each.", nameof(choices));
        }
        var sandbox = await sandboxes.GetAsync(sandboxId, ct) ?? throw new SandboxNotFoundException(sandboxId);
        var record = await JoinOrAskAsync(sandbox, sessionId, question, offered is { Count: > 0 } ? offered : null, ct);
        if (record.Status == QuestionStatus.Answered)
        {
            await MarkDeliveredAsync(record.Id);
            return new QuestionAnswer(record.Id, QuestionStatus.Answered, record.Answer);
        }
        var waiter = _waiting.GetOrAdd(record.Id, _ => new TaskCompletionSource<QuestionAnswer>(TaskCreationOptions.RunContinuationsAsynchronously));
        var left = record.ExpiresAt - time.GetUtcNow();
        await NotifyAsync(sandboxId, sessionId, waiting: true, ct);
        try
        {
            var answer = await waiter.Task.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, time, ct);
            await MarkDeliveredAsync(record.Id);
            return answer;
        }
        catch (TimeoutException)
        {
            return await ExpireAsync(record.Id) ?? await ResultOfAsync(record.Id);
        }
        finally
        {
            await NotifyAsync(sandboxId, sessionId, waiting: false, CancellationToken.None);
        }
    }

    /// <summary>An observer that fails (its session was interrupted meanwhile, say) never stops the question itself.</summary>
    private async Task NotifyAsync(string sandboxId, string? sessionId, bool waiting, CancellationToken ct)
    {
        foreach (var observer in observers)
        {
            try
            {
                await observer.WaitingChangedAsync(sandboxId, sessionId, waiting, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogObserverFailed(logger, ex, sandboxId);
            }
        }
    }

    /// <summary>
    /// Answers <paramref name="questionId"/> (null: the sandbox's oldest pending question) for <paramref name="answeredBy"/>.
    /// The caller checked that the sandbox is visible to them.
    /// </summary>
    public async Task<(AnswerOutcome Outcome, QuestionView? Question)> AnswerAsync(string sandboxId, string? questionId, string answer, string? answeredBy, CancellationToken ct)
    {
        if (questionId is not null && questionId.Any(char.IsControl))
        {
            // No question has such an id; PostgreSQL would refuse a NUL in the lookup itself.
            return (AnswerOutcome.NotFound, null);
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = time.GetUtcNow();
        var query = db.Questions.Where(q => q.SandboxId == sandboxId);
        var record = questionId is null
            ? await query.Where(q => q.Status == QuestionStatus.Pending).OrderBy(q => q.AskedAt).FirstOrDefaultAsync(ct)
            : await query.FirstOrDefaultAsync(q => q.Id == questionId, ct);
        if (record is null)
        {
            return (questionId is null ? AnswerOutcome.NothingPending : AnswerOutcome.NotFound, null);
        }
        if (record.Status == QuestionStatus.Pending && record.ExpiresAt <= now)
        {
            await ExpireAsync(record.Id);
            return (AnswerOutcome.Expired, QuestionView.From((await db.Questions.AsNoTracking().FirstAsync(q => q.Id == record.Id, ct))));
        }
        // Conditional on still pending: two answers at once, one wins; the other is told it was already answered.
        var changed = await db.Questions.Where(q => q.Id == record.Id && q.Status == QuestionStatus.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(q => q.Status, QuestionStatus.Answered).SetProperty(q => q.Answer, answer)
                .SetProperty(q => q.AnsweredBy, answeredBy).SetProperty(q => q.AnsweredAt, now), ct);
        var current = await db.Questions.AsNoTracking().FirstAsync(q => q.Id == record.Id, ct);
        if (changed == 0)
        {
            return (current.Status == QuestionStatus.Expired ? AnswerOutcome.Expired : AnswerOutcome.AlreadyAnswered, QuestionView.From(current));
        }
        await events.PublishAsync(new EventDraft(EventTypes.Answered, EntityTypes.Question, current.Id, sandboxId,
            new { question_id = current.Id, answer, answered_by = answeredBy }), CancellationToken.None);
        LogAnswered(logger, current.Id, sandboxId);
        if (_waiting.TryRemove(current.Id, out var waiter))
        {
            waiter.TrySetResult(new QuestionAnswer(current.Id, QuestionStatus.Answered, answer));
        }
        return (AnswerOutcome.Answered, QuestionView.From(current));
    }

    /// <summary>The sandbox's pending questions and the most recent others, newest first.</summary>
    public async Task<IReadOnlyList<QuestionView>> ListAsync(string sandboxId, int recent, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var pending = await db.Questions.AsNoTracking().Where(q => q.SandboxId == sandboxId && q.Status == QuestionStatus.Pending).ToListAsync(ct);
        var others = await db.Questions.AsNoTracking().Where(q => q.SandboxId == sandboxId && q.Status != QuestionStatus.Pending)
            .OrderByDescending(q => q.AskedAt).Take(recent).ToListAsync(ct);
        return [.. pending.Concat(others).OrderByDescending(q => q.AskedAt).Select(QuestionView.From)];
    }

    /// <summary>
    /// After a restart: pending questions past their expiry are expired, the others published again as <c>QUESTION</c>
    /// so the UI shows them (the agent that asked reconnects and joins them by asking again).
    /// </summary>
    public async Task RepublishPendingAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var pending = await db.Questions.AsNoTracking().Where(q => q.Status == QuestionStatus.Pending).OrderBy(q => q.AskedAt).ToListAsync(ct);
        foreach (var record in pending)
        {
            if (record.ExpiresAt <= time.GetUtcNow())
            {
                await ExpireAsync(record.Id);
                continue;
            }
            await PublishQuestionAsync(record);
        }
    }

    internal static IReadOnlyList<string>? ParseChoices(string? json) => json is null ? null : JsonSerializer.Deserialize<List<string>>(json);

    private async Task<QuestionRecord> JoinOrAskAsync(SandboxSnapshot sandbox, string? sessionId, string question, List<string>? choices, CancellationToken ct)
    {
        var choicesJson = choices is null ? null : JsonSerializer.Serialize(choices);
        await _gate.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var now = time.GetUtcNow();
            var same = await db.Questions.AsNoTracking()
                .Where(q => q.SandboxId == sandbox.Id && q.Question == question && q.Choices == choicesJson
                    && (q.Status == QuestionStatus.Pending || (q.Status == QuestionStatus.Answered && !q.Delivered)))
                .OrderBy(q => q.AskedAt).FirstOrDefaultAsync(ct);
            if (same is not null && (same.Status == QuestionStatus.Answered || same.ExpiresAt > now))
            {
                return same;
            }
            var record = new QuestionRecord
            {
                Id = "q_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
                SandboxId = sandbox.Id, Owner = sandbox.Owner, SessionId = sessionId, Question = question, Choices = choicesJson,
                Status = QuestionStatus.Pending, AskedAt = now, ExpiresAt = now + options.Value.Expiry,
            };
            db.Questions.Add(record);
            await db.SaveChangesAsync(ct);
            LogAsked(logger, record.Id, sandbox.Id);
            await PublishQuestionAsync(record);
            return record;
        }
        finally
        {
            _gate.Release();
        }
    }

    private Task PublishQuestionAsync(QuestionRecord record) =>
        events.PublishAsync(new EventDraft(EventTypes.Question, EntityTypes.Question, record.Id, record.SandboxId,
            new { question_id = record.Id, question = record.Question, choices = ParseChoices(record.Choices) }), CancellationToken.None);

    /// <summary>Expires the question if it is still pending; null when it was not (answered meanwhile).</summary>
    private async Task<QuestionAnswer?> ExpireAsync(string id)
    {
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        var changed = await db.Questions.Where(q => q.Id == id && q.Status == QuestionStatus.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(q => q.Status, QuestionStatus.Expired));
        if (changed == 0)
        {
            return null;
        }
        var record = await db.Questions.AsNoTracking().FirstAsync(q => q.Id == id);
        await events.PublishAsync(new EventDraft(EventTypes.QuestionExpired, EntityTypes.Question, id, record.SandboxId, new { question_id = id }), CancellationToken.None);
        LogExpired(logger, id, record.SandboxId);
        if (_waiting.TryRemove(id, out var waiter))
        {
            waiter.TrySetResult(new QuestionAnswer(id, QuestionStatus.Expired, null));
        }
        return new QuestionAnswer(id, QuestionStatus.Expired, null);
    }

    private async Task<QuestionAnswer> ResultOfAsync(string id)
    {
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        var record = await db.Questions.AsNoTracking().FirstAsync(q => q.Id == id);
        return new QuestionAnswer(id, record.Status, record.Answer);
    }

    private async Task MarkDeliveredAsync(string id)
    {
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        await db.Questions.Where(q => q.Id == id).ExecuteUpdateAsync(s => s.SetProperty(q => q.Delivered, true));
    }

    [LoggerMessage(EventId = 2030, Level = LogLevel.Information, Message = "Question {QuestionId} asked in sandbox {SandboxId}")]
    private static partial void LogAsked(ILogger logger, string questionId, string sandboxId);

    [LoggerMessage(EventId = 2031, Level = LogLevel.Information, Message = "Question {QuestionId} of sandbox {SandboxId} answered")]
    private static partial void LogAnswered(ILogger logger, string questionId, string sandboxId);

    [LoggerMessage(EventId = 2032, Level = LogLevel.Information, Message = "Question {QuestionId} of sandbox {SandboxId} expired unanswered")]
    private static partial void LogExpired(ILogger logger, string questionId, string sandboxId);

    [LoggerMessage(EventId = 2033, Level = LogLevel.Warning, Message = "A question observer failed for sandbox {SandboxId}; the question goes on")]
    private static partial void LogObserverFailed(ILogger logger, Exception exception, string sandboxId);
}
