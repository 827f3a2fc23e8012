using Microsoft.AspNetCore.Routing.Template;

namespace LivePreview.Hosting;

/// <summary>
/// Fills in the <c>detail</c> of the problems nobody wrote one for: the status-code pages' bare 404, 405 and 415 (no
/// route, wrong method, wrong content type) said only "Not Found", which tells a client neither what was wrong nor what
/// to send instead. Problems that already have a detail (every handler's and <see cref="ApiProblems"/>') keep theirs.
/// </summary>
internal sealed class StatusProblems(EndpointDataSource endpoints)
{
    private readonly Lazy<IReadOnlyList<(TemplateMatcher Matcher, IReadOnlyList<string> Methods)>> _routes = new(() => Routes(endpoints));

    public void Customize(ProblemDetailsContext context)
    {
        if (!string.IsNullOrEmpty(context.ProblemDetails.Detail))
        {
            return;
        }
        var request = context.HttpContext.Request;
        context.ProblemDetails.Detail = context.ProblemDetails.Status switch
        {
            StatusCodes.Status405MethodNotAllowed => WrongMethod(request, context.HttpContext.Response.Headers.Allow.ToString()),
            StatusCodes.Status404NotFound when MethodsFor(request.Path) is { Count: > 0 } methods && !methods.Contains(request.Method, StringComparer.OrdinalIgnoreCase) =>
                WrongMethod(request, string.Join(", ", methods)),
            StatusCodes.Status404NotFound =>
                $"Nothing answers {request.Method} {request.Path}. The API's routes are listed in /openapi/v1.json (GET /api shows them).",
            StatusCodes.Status415UnsupportedMediaType =>
                $"{request.Method} {request.Path} takes a JSON body: send it with Content-Type: application/json (the body was '{request.ContentType}').",
            StatusCodes.Status413PayloadTooLarge =>
                $"The request body is larger than {request.Method} {request.Path} accepts; send a smaller one (a file over the limit: split it, or raise LivePreview:Files:MaxFileBytes).",
            StatusCodes.Status400BadRequest => "The request could not be read; check its path, query and body against /openapi/v1.json.",
            _ => null,
        };
    }

    private static string WrongMethod(HttpRequest request, string allowed) =>
        $"{request.Method} is not a method of {request.Path}; it takes {(allowed.Length > 0 ? allowed : "other methods")}.";

    /// <summary>The methods of every API route whose template matches <paramref name="path"/>: what a wrong method could have used.</summary>
    private List<string> MethodsFor(PathString path)
    {
        var methods = new List<string>();
        foreach (var (matcher, routeMethods) in _routes.Value)
        {
            if (matcher.TryMatch(path, []))
            {
                methods.AddRange(routeMethods.Where(m => !methods.Contains(m, StringComparer.OrdinalIgnoreCase)));
            }
        }
        return methods;
    }

    private static List<(TemplateMatcher, IReadOnlyList<string>)> Routes(EndpointDataSource endpoints) =>
        [.. endpoints.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true)
            .Select(e => (e, methods: e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods))
            .Where(x => x.methods is { Count: > 0 })
            .Select(x => (new TemplateMatcher(TemplateParser.Parse(x.e.RoutePattern.RawText!), []), x.methods!))];
}
