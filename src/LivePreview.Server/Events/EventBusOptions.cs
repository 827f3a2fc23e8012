namespace LivePreview.Events;

/// <summary>The event bus, the live stream and event retention (section <c>LivePreview:Events</c>).</summary>
public sealed class EventBusOptions
{
    public const string Section = "LivePreview:Events";

    /// <summary>Events buffered per live subscriber before it is treated as too slow and disconnected.</summary>
    public int SubscriberBufferSize { get; set; } = 1024;

    /// <summary>Stored events read per query when a stream replays from its cursor.</summary>
    public int ReplayPageSize { get; set; } = 500;

    /// <summary>A stream that sent nothing for this long sends <c>{"type":"HEARTBEAT","sequence":n}</c>.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Interval of WebSocket ping frames, which keep proxies from closing idle connections.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A client that answers no ping within this long is dropped (a dead peer never fills the send buffer).</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Longest a single message may take to leave the server. A client that stops reading fills the TCP
    /// buffers; after this long its socket is aborted so it cannot hold a server thread or buffer forever.
    /// </summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Events older than this are deleted; <see cref="TimeSpan.Zero"/> keeps them forever.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often old events are deleted.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Events deleted per statement, so a large clean-up never holds the write lock for long.</summary>
    public int RetentionBatchSize { get; set; } = 1000;

    /// <summary>
    /// Most events stored in one transaction: publishers queue, one writer stores what is queued a batch at a time
    /// (one commit per batch instead of one per event). 1 stores each event in its own transaction.
    /// </summary>
    public int WriteBatchSize { get; set; } = 256;

    /// <summary>
    /// The Redis channel the instances of one deployment signal new events on (with <c>ConnectionStrings:Redis</c> set);
    /// deployments that share a Redis server need one each.
    /// </summary>
    public string RedisChannel { get; set; } = "livepreview:events";

    /// <summary>
    /// With Redis: how often each instance also reads the database for events it was not signalled (a lost signal
    /// delays delivery by at most this long).
    /// </summary>
    public TimeSpan RedisPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    internal bool IsValid() =>
        !string.IsNullOrWhiteSpace(RedisChannel) && RedisPollInterval > TimeSpan.Zero && WriteBatchSize > 0 &&
        SubscriberBufferSize > 0 && ReplayPageSize > 0 && RetentionBatchSize > 0
        && HeartbeatInterval > TimeSpan.Zero && KeepAliveInterval >= TimeSpan.Zero && KeepAliveTimeout > TimeSpan.Zero
        && SendTimeout > TimeSpan.Zero && Retention >= TimeSpan.Zero && RetentionInterval > TimeSpan.Zero;
}
