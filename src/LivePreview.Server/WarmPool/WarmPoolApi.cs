namespace LivePreview.WarmPool;

public static class WarmPoolApi
{
    public static IEndpointRouteBuilder MapWarmPoolApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/pool", (IWarmPool pool) => TypedResults.Ok(pool.Status()))
            .WithTags("Warm pool")
            .WithSummary("Per framework: target size, ready and starting sandboxes, hits, misses, evictions and the last evictions.");
        return app;
    }
}
