using LivePreview.Hosting;

namespace LivePreview.Events;

/// <summary>A page of stored events; pass <see cref="NextAfter"/> as <c>after</c> to get the next one.</summary>
public sealed record EventPage(IReadOnlyList<LivePreviewEvent> Events, long NextAfter);

public static class EventsApi
{
    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/events").WithTags("Events");
        group.MapGet("/", ReadAsync)
            .WithSummary("Stored events after a sequence, oldest first: { events, next_after }. Filters: sandbox_id, types (comma-separated), entity_type, entity_id; limit 1-1000 (default 100).")
            .Produces<EventPage>().ProducesProblem(StatusCodes.Status400BadRequest);
        group.MapGet("/ws", StreamAsync)
            .WithSummary("WebSocket: stored events after 'after', then live ones, one JSON text message each; same filters. Idle streams get {\"type\":\"HEARTBEAT\",\"sequence\":n}; a close's description is resume_after=n.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return app;
    }

    private static async Task<IResult> ReadAsync(HttpRequest request, EventStore store, CancellationToken ct)
    {
        if (!EventQuery.TryParse(request.Query, withLimit: true, out var query, out var problem))
        {
            return problem;
        }
        var events = await store.ReadAfterAsync(query.After, query.Filter.VisibleTo(request.HttpContext.User), query.Limit, ct);
        return Results.Ok(new EventPage(events, events.Count > 0 ? events[^1].Sequence : query.After));
    }

    private static async Task<IResult> StreamAsync(HttpContext context, EventStreamer streamer)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            return Problems.BadRequest("WebSocket required",
                "Connect to /api/v1/events/ws with a WebSocket (ws:// or wss://). Plain HTTP clients can poll GET /api/v1/events?after=<sequence>.");
        }
        if (!EventQuery.TryParse(context.Request.Query, withLimit: false, out var query, out var problem))
        {
            return problem;
        }
        // The caller's filter narrowed to their own events, for the replay and the live part alike.
        await streamer.RunAsync(context, query with { Filter = query.Filter.VisibleTo(context.User) });
        return Results.Empty;
    }
}
