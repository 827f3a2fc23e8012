using Yarp.ReverseProxy.Forwarder;

namespace LivePreview.Proxy;

/// <summary>
/// Header handling for preview traffic, identical for HTTP requests and WebSocket upgrades
/// (FIELD-NOTES 2): the dev server sees its own address as Host (so Vite's and Next's host checks
/// pass without config edits, FIELD-NOTES 1), the browser's host travels in X-Forwarded-Host, and
/// responses may be framed by the dashboard through CSP instead of an invalid X-Frame-Options.
/// </summary>
internal sealed class PreviewTransformer(string frameAncestors) : HttpTransformer
{
    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        var request = httpContext.Request;
        proxyRequest.Headers.Host = null;
        proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Host", request.Host.Value);
        proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Proto", request.Scheme);
        if (httpContext.Connection.RemoteIpAddress is { } remote)
        {
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-For", remote.ToString());
        }
        RewriteSameOrigin(request, proxyRequest, new Uri(destinationPrefix).Port);
    }

    /// <summary>
    /// A request the preview page makes to its own origin is same-origin for the dev server too, so
    /// its Origin is translated the way Host is (Next blocks its HMR socket for unknown origins).
    /// Cross-origin requests keep their Origin so the dev server's own CSRF checks still apply.
    /// </summary>
    private static void RewriteSameOrigin(HttpRequest request, HttpRequestMessage proxyRequest, int destinationPort)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0 || !string.Equals(origin, $"{request.Scheme}://{request.Host.Value}", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }
        proxyRequest.Headers.Remove("Origin");
        proxyRequest.Headers.TryAddWithoutValidation("Origin", $"http://localhost:{destinationPort}");
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        var result = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        var headers = httpContext.Response.Headers;
        headers.Remove("X-Frame-Options");
        headers.Append("Content-Security-Policy", frameAncestors);
        return result;
    }
}
