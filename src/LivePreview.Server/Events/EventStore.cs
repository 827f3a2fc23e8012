using System.Text.Json;
using LivePreview.Persistence;
using Microsoft.EntityFrameworkCore;

namespace LivePreview.Events;

/// <summary>Reads stored events, for replay after a cursor and for polling clients.</summary>
public sealed class EventStore(IDbContextFactory<LivePreviewDbContext> dbFactory)
{
    public async Task<IReadOnlyList<LivePreviewEvent>> ReadAfterAsync(long after, EventFilter filter, int limit, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = db.Events.AsNoTracking().Where(e => e.Sequence > after);
        if (filter.SandboxId is not null) query = query.Where(e => e.SandboxId == filter.SandboxId);
        if (filter.EntityType is not null) query = query.Where(e => e.EntityType == filter.EntityType);
        if (filter.EntityId is not null) query = query.Where(e => e.EntityId == filter.EntityId);
        if (filter.Types is not null) query = query.Where(e => filter.Types.Contains(e.Type));
        var records = await query.OrderBy(e => e.Sequence).Take(limit).ToListAsync(cancellationToken);
        return records.Select(ToEvent).ToList();
    }

    public static LivePreviewEvent ToEvent(EventRecord r) => new(
        r.Sequence, r.Type, r.EntityType, r.EntityId, r.SandboxId, r.Timestamp,
        r.Payload is null ? null : JsonDocument.Parse(r.Payload).RootElement.Clone());
}
