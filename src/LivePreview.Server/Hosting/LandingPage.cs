namespace LivePreview.Hosting;

internal static class LandingPage
{
    public static IEndpointRouteBuilder MapLandingPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Results.Content("""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>LivePreview</title>
            <style>body{font:15px/1.6 system-ui,sans-serif;max-width:40rem;margin:3rem auto;color:#1f2937}</style></head>
            <body><h1>LivePreview</h1><p>Sandboxes with live, hot-reloading previews for AI coding agents.</p>
            <ul><li><a href="/api">API reference</a></li><li><a href="/openapi/v1.json">OpenAPI document</a></li>
            <li><a href="/api/v1/sandboxes">Sandboxes (JSON)</a></li></ul></body></html>
            """, "text/html; charset=utf-8")).ExcludeFromDescription();
        return app;
    }
}
