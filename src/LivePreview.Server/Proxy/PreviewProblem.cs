using System.Net;

namespace LivePreview.Proxy;

/// <summary>Why the proxy answers a preview request itself instead of forwarding it.</summary>
public enum PreviewProblem { Unknown, Starting, Stopped, Failed, PortClosed, Unauthorized }

/// <summary>Typed proxy problems mapped once to a status code and a small friendly page.</summary>
public static class FriendlyPage
{
    public static int StatusCode(PreviewProblem problem) => problem switch
    {
        PreviewProblem.Unknown => StatusCodes.Status404NotFound,
        PreviewProblem.Unauthorized => StatusCodes.Status401Unauthorized,
        PreviewProblem.Starting or PreviewProblem.Stopped => StatusCodes.Status503ServiceUnavailable,
        PreviewProblem.Failed or PreviewProblem.PortClosed => StatusCodes.Status502BadGateway,
        _ => StatusCodes.Status500InternalServerError,
    };

    public static async Task WriteAsync(HttpContext context, PreviewProblem problem, string? detail)
    {
        var response = context.Response;
        response.StatusCode = StatusCode(problem);
        response.Headers.CacheControl = "no-store";
        response.Headers["X-LivePreview-Problem"] = problem.ToString().ToLowerInvariant();
        if (problem == PreviewProblem.Starting)
        {
            response.Headers.RetryAfter = "1";
        }
        if (context.WebSockets.IsWebSocketRequest || HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }
        response.ContentType = "text/html; charset=utf-8";
        await response.WriteAsync(Render(problem, detail), context.RequestAborted);
    }

    private const string Style = """
        <style>body{font:15px/1.5 system-ui,sans-serif;color:#1f2937;background:#f8fafc;display:grid;place-items:center;min-height:90vh;margin:0}
        main{max-width:34rem;padding:2rem;text-align:center}h1{font-size:1.3rem;margin:.5rem 0}
        pre{text-align:left;background:#0f172a;color:#e2e8f0;padding:1rem;border-radius:.5rem;white-space:pre-wrap;font-size:12px}
        .spin{width:28px;height:28px;border:3px solid #cbd5e1;border-top-color:#6366f1;border-radius:50%;margin:auto;animation:s 1s linear infinite}
        @keyframes s{to{transform:rotate(360deg)}}</style></head>
        """;

    public static string Render(PreviewProblem problem, string? detail)
    {
        var (title, text) = problem switch
        {
            PreviewProblem.Starting => ("Starting the preview…", "The dev server is starting. This page refreshes by itself."),
            PreviewProblem.Stopped => ("Preview stopped", "This preview was stopped. Start it again from LivePreview."),
            PreviewProblem.Failed => ("The preview failed", "The dev server could not start or keep running."),
            PreviewProblem.PortClosed => ("Nothing is answering", "The preview is registered, but nothing answers on its port right now."),
            PreviewProblem.Unauthorized => ("This preview is private",
                "It is a live preview of an app built in LivePreview, open to its owner. Open it from the LivePreview dashboard, "
                + "or ask its owner for a share link (scripts: send the owner's API key as Authorization: Bearer)."),
            _ => ("No such preview", "There is no preview at this address. Check the sandbox id and port."),
        };
        var refresh = problem == PreviewProblem.Starting ? """<meta http-equiv="refresh" content="1">""" : "";
        var detailHtml = string.IsNullOrWhiteSpace(detail) ? "" : $"<pre>{WebUtility.HtmlEncode(detail)}</pre>";
        return $$"""
            <!doctype html><html lang="en"><head><meta charset="utf-8">{{refresh}}
            <meta name="viewport" content="width=device-width,initial-scale=1"><title>{{title}}</title>
            {{Style}}
            <body><main data-preview-problem="{{problem.ToString().ToLowerInvariant()}}">{{(problem == PreviewProblem.Starting ? "<div class=\"spin\"></div>" : "")}}
            <h1>{{title}}</h1><p>{{text}}</p>{{detailHtml}}</main></body></html>
            """;
    }
}
