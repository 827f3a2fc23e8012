using System.Text.Json;
using System.Threading.Channels;
using LivePreview.Hosting;
using LivePreview.Persistence;
using Microsoft.EntityFrameworkCore;

namespace LivePreview.Events;

/// <summary>
/// Stores events a batch per transaction (group commit): publishers queue their drafts, one writer loop takes what is
/// queued — up to <see cref="EventBusOptions.WriteBatchSize"/> — and stores it in one transaction, so a burst costs one
/// commit instead of one per event (a commit, not the insert, is what SQLite's and PostgreSQL's durability costs).
/// Sequence order is queue order, and the loop hands each batch, in order, to the constructor's delivery callback before the
/// publishers' calls return, so "published" still means "stored and delivered here". A batch that fails is stored again
/// one event per transaction, so one bad event fails only its own publisher.
/// </summary>
internal sealed partial class EventBatchWriter : IAsyncDisposable
{
    private readonly IDbContextFactory<LivePreviewDbContext> _dbFactory;
    private readonly Func<IReadOnlyList<LivePreviewEvent>, Task> _committed;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _batchSize;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writing;

    public EventBatchWriter(IDbContextFactory<LivePreviewDbContext> dbFactory, int batchSize, Func<IReadOnlyList<LivePreviewEvent>, Task> committed,
        TimeProvider time, ILogger logger)
    {
        _dbFactory = dbFactory;
        _batchSize = batchSize;
        _committed = committed;
        _time = time;
        _logger = logger;
        _writing = Task.Run(WriteLoopAsync);
    }

    /// <summary>Queues the event and returns it once it is stored (with its sequence and owner) and handed on.</summary>
    public Task<LivePreviewEvent> WriteAsync(EventDraft draft)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var payload = draft.Payload is null ? (JsonElement?)null : JsonSerializer.SerializeToElement(draft.Payload, JsonDefaults.Options);
        var pending = new Pending(draft, payload, new TaskCompletionSource<LivePreviewEvent>(TaskCreationOptions.RunContinuationsAsynchronously));
        return _queue.Writer.TryWrite(pending) ? pending.Done.Task : Task.FromException<LivePreviewEvent>(new ObjectDisposedException(nameof(EventBatchWriter)));
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(_batchSize);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < _batchSize && _queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }
            var stored = await StoreAsync(batch);
            try
            {
                await _committed([.. stored.Where(s => s.Event is not null).Select(s => s.Event!)]);
            }
            catch (Exception ex)
            {
                // Stored is stored: a delivery that failed is made up for by readers resuming from the database.
                LogDeliveryFailed(_logger, ex);
            }
            foreach (var (pending, e, error) in stored)
            {
                if (e is not null)
                {
                    pending.Done.TrySetResult(e);
                }
                else
                {
                    pending.Done.TrySetException(error!);
                }
            }
        }
    }

    private async Task<List<(Pending Pending, LivePreviewEvent? Event, Exception? Error)>> StoreAsync(List<Pending> batch)
    {
        var timestamp = _time.GetUtcNow();
        try
        {
            // The sequence is the cursor clients resume from, so numbers must become visible in the order they are taken:
            // SQLite's single writer gives that; on PostgreSQL two transactions could take 7 and 8 and commit 8 first,
            // so taking the numbers and committing is one step across every instance under the event-sequence lock.
            var stored = await InsertAsync(batch, timestamp);
            return [.. stored.Select((e, i) => (batch[i], (LivePreviewEvent?)e, (Exception?)null))];
        }
        catch (Exception ex) when (batch.Count > 1)
        {
            LogBatchFailed(_logger, ex, batch.Count);
        }
        catch (Exception ex)
        {
            return [(batch[0], null, ex)];
        }
        var oneByOne = new List<(Pending, LivePreviewEvent?, Exception?)>(batch.Count);
        foreach (var pending in batch)
        {
            try
            {
                var e = (await InsertAsync([pending], timestamp))[0];
                oneByOne.Add((pending, e, null));
            }
            catch (Exception ex)
            {
                oneByOne.Add((pending, null, ex));
            }
        }
        return oneByOne;
    }

    private async Task<List<LivePreviewEvent>> InsertAsync(List<Pending> batch, DateTimeOffset timestamp)
    {
        await using var db = await _dbFactory.CreateDbContextAsync();
        var rows = await EventInsertCommand.StoreAsync(db, [.. batch.Select(p => (p.Draft, p.Payload?.GetRawText()))], timestamp);
        return [.. batch.Select((p, i) => new LivePreviewEvent(
            rows[i].Sequence, p.Draft.Type, p.Draft.EntityType, p.Draft.EntityId, p.Draft.SandboxId, timestamp, p.Payload, rows[i].Owner))];
    }

    private sealed record Pending(EventDraft Draft, JsonElement? Payload, TaskCompletionSource<LivePreviewEvent> Done);

    [LoggerMessage(EventId = 106, Level = LogLevel.Warning, Message = "Storing a batch of {Count} events failed; storing them one by one")]
    private static partial void LogBatchFailed(ILogger logger, Exception ex, int count);

    [LoggerMessage(EventId = 107, Level = LogLevel.Error, Message = "Delivering stored events failed")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception ex);
}
