using System.Diagnostics;
using System.Globalization;
using Yarp.ReverseProxy.Forwarder;

namespace LivePreview.Proxy;

/// <summary>
/// Header handling for preview traffic, identical for HTTP requests and WebSocket upgrades
/// (FIELD-NOTES 2): the dev server sees its own address as Host (so Vite's and Next's host checks
/// pass without config edits, FIELD-NOTES 1), the browser's host travels in X-Forwarded-Host, and
/// responses may be framed by the dashboard through CSP instead of an invalid X-Frame-Options.
/// Response bodies always stream; the client script goes into HTML pages without buffering them (<see cref="HeadInjection"/>).
/// </summary>
internal sealed class PreviewTransformer(string frameAncestors, bool injectClientScript, int injectScanBytes) : HttpTransformer
{
    public const string BasePathKey = "livepreview.base";

    /// <summary>Holds a <see cref="ProxyTiming"/> when <see cref="LivePreview.Previews.PreviewOptions.ServerTiming"/> is on.</summary>
    public const string TimingKey = "livepreview.timing";

    /// <summary>Headers the provider wants on every request to the port (<see cref="LivePreview.Sandboxes.SandboxPortUrl.Headers"/>); absent for Local.</summary>
    public const string UpstreamHeadersKey = "livepreview.upstream-headers";

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        var request = httpContext.Request;
        proxyRequest.Headers.Host = null;
        LivePreview.Auth.LivePreviewCredentials.StripFrom(proxyRequest);
        if (httpContext.Items.ContainsKey(LivePreview.Grants.PreviewAccess.StripAuthorizationKey))
        {
            proxyRequest.Headers.Authorization = null;
        }
        proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Host", request.Host.Value);
        proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Proto", request.Scheme);
        if (httpContext.Connection.RemoteIpAddress is { } remote)
        {
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-For", remote.ToString());
        }
        RewriteSameOrigin(request, proxyRequest, new Uri(destinationPrefix).Port);
        if (httpContext.Items[UpstreamHeadersKey] is IReadOnlyList<KeyValuePair<string, string>> upstream)
        {
            foreach (var (name, value) in upstream)
            {
                // Whatever the browser sent under the same name is replaced: only the provider's credential reaches its proxy.
                proxyRequest.Headers.Remove(name);
                proxyRequest.Headers.TryAddWithoutValidation(name, value);
            }
        }
        if (injectClientScript && IsDocumentRequest(request))
        {
            // The page itself is small; asking for it uncompressed lets the script tag go in without a decoder.
            proxyRequest.Headers.AcceptEncoding.Clear();
        }
    }

    private static bool IsDocumentRequest(HttpRequest request) =>
        HttpMethods.IsGet(request.Method)
        && (request.Headers["Sec-Fetch-Dest"] == "document" || request.Headers["Sec-Fetch-Dest"] == "iframe" || request.Headers.Accept.ToString().Contains("text/html", StringComparison.Ordinal));

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
        var headersAt = Stopwatch.GetTimestamp();
        var injecting = result && injectClientScript && IsInjectable(httpContext, proxyResponse);
        if (injecting)
        {
            await InjectAsync(httpContext, proxyResponse!, cancellationToken);
        }
        if (httpContext.Items[TimingKey] is ProxyTiming timing)
        {
            headers.Append("Server-Timing", timing.Header(headersAt, injecting ? Stopwatch.GetTimestamp() : null));
        }
        return result;
    }

    /// <summary>
    /// Reads the page only up to its &lt;head&gt; (bounded by <c>InjectScanBytes</c>), then hands YARP a
    /// content that is that prefix (with the tag) followed by the rest of the page, which YARP streams.
    /// </summary>
    private async Task InjectAsync(HttpContext httpContext, HttpResponseMessage proxyResponse, CancellationToken cancellationToken)
    {
        var basePath = httpContext.Items[BasePathKey] as string ?? "/";
        var tag = HeadInjection.Tag($"{basePath}{PreviewClientScript.Prefix[1..]}{PreviewClientScript.ScriptName}");
        var original = proxyResponse.Content;
        var page = await original.ReadAsStreamAsync(cancellationToken);
        var (prefix, injected) = await HeadInjection.ReadPrefixAsync(page, tag, injectScanBytes, cancellationToken);
        var headers = httpContext.Response.Headers;
        if (injected && headers.ContentLength is { } length)
        {
            headers.ContentLength = length + tag.Length;
        }
        proxyResponse.Content = new StreamContent(new PrefixedStream(prefix, page, original));
    }

    private static bool IsInjectable(HttpContext context, HttpResponseMessage? response) =>
        response is { StatusCode: System.Net.HttpStatusCode.OK }
        && IsDocumentRequest(context.Request)
        && response.Content.Headers.ContentType?.MediaType == "text/html"
        && response.Content.Headers.ContentEncoding.Count == 0;
}

/// <summary>Timestamps (<see cref="Stopwatch"/>) of one forwarded request: matched as a preview request, handed to YARP.</summary>
internal sealed record ProxyTiming(long MatchedAt, long SentAt)
{
    public string Header(long headersAt, long? injectedAt)
    {
        var text = string.Create(CultureInfo.InvariantCulture,
            $"lp-proxy;dur={Stopwatch.GetElapsedTime(MatchedAt, SentAt).TotalMilliseconds:0.###}, lp-upstream;dur={Stopwatch.GetElapsedTime(SentAt, headersAt).TotalMilliseconds:0.###}");
        return injectedAt is { } end
            ? text + string.Create(CultureInfo.InvariantCulture, $", lp-inject;dur={Stopwatch.GetElapsedTime(headersAt, end).TotalMilliseconds:0.###}")
            : text;
    }
}
