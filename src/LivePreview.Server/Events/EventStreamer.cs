using Microsoft.Extensions.Options;

namespace LivePreview.Events;

/// <summary>Accepts event WebSockets and runs one <see cref="EventStreamSession"/> per connection.</summary>
internal sealed class EventStreamer(
    IEventBus bus,
    EventStore store,
    IOptionsMonitor<EventBusOptions> options,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<EventStreamSession> logger)
{
    public async Task RunAsync(HttpContext context, EventQuery query)
    {
        var o = options.CurrentValue;
        // Pings keep proxies from closing idle streams; an unanswered one finds a peer that vanished without a FIN.
        var accept = new WebSocketAcceptContext { KeepAliveInterval = o.KeepAliveInterval, KeepAliveTimeout = o.KeepAliveTimeout };
        using var webSocket = await context.WebSockets.AcceptWebSocketAsync(accept);
        using var socket = new EventSocket(webSocket, o.SendTimeout, time);
        await new EventStreamSession(socket, bus, store, o, time, logger).RunAsync(query, lifetime.ApplicationStopping);
    }
}
