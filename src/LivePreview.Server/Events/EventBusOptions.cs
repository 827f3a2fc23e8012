namespace LivePreview.Events;

public sealed class EventBusOptions
{
    public const string Section = "LivePreview:Events";

    /// <summary>Events buffered per live subscriber before it is treated as too slow and disconnected.</summary>
    public int SubscriberBufferSize { get; set; } = 1024;
}
