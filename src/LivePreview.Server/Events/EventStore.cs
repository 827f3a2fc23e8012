using System.Text.Json;
using LivePreview.Persistence;
using Microsoft.EntityFrameworkCore;

namespace LivePreview.Events;

/// <summary>Reads stored events, for replay after a cursor and for polling clients, and deletes expired ones.</summary>
public sealed class EventStore(IDbContextFactory<LivePreviewDbContext> dbFactory)
{
    public async Task<IReadOnlyList<LivePreviewEvent>> ReadAfterAsync(long after, EventFilter filter, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = db.Events.AsNoTracking().Where(e => e.Sequence > after);
        if (filter.Owner is not null) query = query.Where(e => e.Owner == filter.Owner);
        if (filter.SandboxId is not null) query = query.Where(e => e.SandboxId == filter.SandboxId);
        if (filter.EntityType is not null) query = query.Where(e => e.EntityType == filter.EntityType);
        if (filter.EntityId is not null) query = query.Where(e => e.EntityId == filter.EntityId);
        if (filter.Types is not null)
        {
            var types = filter.Types.ToArray();
            query = query.Where(e => types.Contains(e.Type));
        }
        var records = await query.OrderBy(e => e.Sequence).Take(limit).ToListAsync(cancellationToken);
        return records.Select(ToEvent).ToList();
    }

    /// <summary>
    /// A sandbox's newest events of the given types after a sequence and no older than <paramref name="since"/>, newest first
    /// (the edit an update report painted, Proxy/PreviewUpdates).
    /// </summary>
    public async Task<IReadOnlyList<LivePreviewEvent>> ReadNewestAsync(string sandboxId, IReadOnlyCollection<string> types, long after, DateTimeOffset since,
        int limit, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var typeList = types.ToArray();
        var records = await db.Events.AsNoTracking()
            .Where(e => e.SandboxId == sandboxId && e.Sequence > after && e.Timestamp >= since && typeList.Contains(e.Type))
            .OrderByDescending(e => e.Sequence).Take(limit).ToListAsync(cancellationToken);
        return records.Select(ToEvent).ToList();
    }

    /// <summary>The newest stored event's sequence, 0 when there is none.</summary>
    public async Task<long> LastSequenceAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Events.MaxAsync(e => (long?)e.Sequence, cancellationToken) ?? 0;
    }

    /// <summary>
    /// Deletes up to <paramref name="batchSize"/> of the oldest events if they are older than the cutoff;
    /// returns how many went. Only the first rows in sequence order are looked at (timestamps grow with
    /// the sequence: one writer stamps them), so a batch costs the same however large the table is.
    /// </summary>
    public async Task<int> DeleteOldestBeforeAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var oldest = db.Events.OrderBy(e => e.Sequence).Take(batchSize).Select(e => e.Sequence);
        return await db.Events.Where(e => oldest.Contains(e.Sequence) && e.Timestamp < cutoff).ExecuteDeleteAsync(cancellationToken);
    }

    public static LivePreviewEvent ToEvent(EventRecord r) => new(
        r.Sequence, r.Type, r.EntityType, r.EntityId, r.SandboxId, r.Timestamp,
        r.Payload is null ? null : JsonSerializer.Deserialize<JsonElement>(r.Payload), r.Owner);
}
