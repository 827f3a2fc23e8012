using System.Threading.Channels;
using LivePreview.Events;

namespace LivePreview.Tests.Ui;

/// <summary>An event bus whose one live stream the test feeds and ends by hand.</summary>
internal sealed class ScriptedEventBus : IEventBus
{
    private readonly Channel<LivePreviewEvent> _live = Channel.CreateUnbounded<LivePreviewEvent>();

    public EventFilter? Filter { get; private set; }

    public void Deliver(long sequence, string type = EventTypes.PreviewReady) =>
        _live.Writer.TryWrite(new LivePreviewEvent(sequence, type, "preview", "pv1", "sb1", DateTimeOffset.UnixEpoch, null));

    public void End(Exception? error = null) => _live.Writer.TryComplete(error);

    public Task<LivePreviewEvent> PublishAsync(EventDraft draft, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The UI only reads events.");

    public IAsyncEnumerable<LivePreviewEvent> SubscribeAsync(EventFilter filter, CancellationToken cancellationToken)
    {
        Filter = filter;
        return _live.Reader.ReadAllAsync(cancellationToken);
    }
}
