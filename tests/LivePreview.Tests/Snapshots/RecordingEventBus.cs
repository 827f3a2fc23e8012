using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using LivePreview.Events;
using LivePreview.Hosting;

namespace LivePreview.Tests.Snapshots;

/// <summary>Keeps every published event, payload serialized the way the real bus does.</summary>
internal sealed class RecordingEventBus : IEventBus
{
    private readonly ConcurrentQueue<LivePreviewEvent> _events = new();
    private long _sequence;

    public IReadOnlyList<LivePreviewEvent> Events => [.. _events];

    public IReadOnlyList<LivePreviewEvent> OfType(string type) => Events.Where(e => e.Type == type).ToList();

    public Task<LivePreviewEvent> PublishAsync(EventDraft draft, CancellationToken cancellationToken = default)
    {
        var payload = draft.Payload is null ? (JsonElement?)null : JsonSerializer.SerializeToElement(draft.Payload, JsonDefaults.Options);
        var e = new LivePreviewEvent(Interlocked.Increment(ref _sequence), draft.Type, draft.EntityType, draft.EntityId, draft.SandboxId, DateTimeOffset.UtcNow, payload);
        _events.Enqueue(e);
        return Task.FromResult(e);
    }

    public async IAsyncEnumerable<LivePreviewEvent> SubscribeAsync(EventFilter filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        yield break;
    }
}
