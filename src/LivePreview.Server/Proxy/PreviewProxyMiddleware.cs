using System.Net;
using LivePreview.Events;
using LivePreview.Grants;
using LivePreview.Persistence;
using LivePreview.Previews;
using LivePreview.Sandboxes;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace LivePreview.Proxy;

/// <summary>
/// Runs before the app's own endpoints: a request for a preview host (or, in path mode, a
/// <c>/preview/{id}/{port}/</c> path) is resolved to its preview, and forwarded by YARP when the
/// preview is ready, or answered with a friendly page when it is not. Responses stream; nothing is buffered
/// (the client script goes into HTML pages as they stream, <see cref="HeadInjection"/>).
/// </summary>
internal sealed partial class PreviewProxyMiddleware(
    RequestDelegate next,
    PreviewAddress address,
    PreviewManager previews,
    ISandboxProvider provider,
    IHttpForwarder forwarder,
    PreviewForwarding forwarding,
    ClientReports reports,
    PreviewUpdates updates,
    PreviewAccess access,
    PreviewViewers viewers,
    ILogger<PreviewProxyMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!address.TryMatch(context.Request, out var target))
        {
            await next(context);
            return;
        }
        var matchedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        var preview = previews.Find(target);
        var basePath = address.Mode == PreviewUrlMode.Path ? PreviewAddress.BasePath(target.SandboxId, target.Port) : "/";
        if (preview is not null && !await IsAllowedAsync(context, target, basePath))
        {
            return;
        }
        var problem = ProblemOf(preview);
        if (problem is not null)
        {
            await FriendlyPage.WriteAsync(context, problem.Value, problem == PreviewProblem.Failed ? FirstLine(preview!.Error) : null);
            return;
        }
        var relativePath = "/" + (context.Request.Path.Value ?? "/")[(basePath.Length - 1)..].TrimStart('/');
        if (await PreviewClientScript.TryHandleAsync(context, relativePath, preview!, reports, updates))
        {
            return;
        }
        context.Items[PreviewTransformer.BasePathKey] = basePath;
        var destination = await DestinationAsync(context, target);
        if (forwarding.ServerTiming)
        {
            context.Items[PreviewTransformer.TimingKey] = new ProxyTiming(matchedAt, System.Diagnostics.Stopwatch.GetTimestamp());
        }
        // An HMR socket is an open page: counted while YARP relays it (SendAsync returns when it closes).
        using (context.WebSockets.IsWebSocketRequest ? viewers.Enter(target.SandboxId) : null)
        {
            var error = await forwarder.SendAsync(context, destination, forwarding.Invoker, forwarding.RequestConfig, forwarding.Transformer);
            await AfterForwardAsync(context, target, error);
        }
    }

    private async Task AfterForwardAsync(HttpContext context, PreviewTarget target, ForwarderError error)
    {
        if (error != ForwarderError.None)
        {
            LogForwardFailed(logger, context.Features.Get<IForwarderErrorFeature>()?.Exception, target.SandboxId, target.Port, error);
        }
        if (error != ForwarderError.None && !context.Response.HasStarted)
        {
            context.Response.Clear();
            await FriendlyPage.WriteAsync(context, PreviewProblem.PortClosed, null);
        }
    }

    /// <summary>
    /// Private by default: the request needs a grant, the owner's key or a public preview before it learns anything
    /// about the preview (even whether it is starting). False when the proxy has answered (an exchange or a refusal).
    /// </summary>
    private async Task<bool> IsAllowedAsync(HttpContext context, PreviewTarget target, string basePath)
    {
        if (await access.TryExchangeAsync(context, target, basePath))
        {
            return false;
        }
        if (await access.AllowsAsync(context, target))
        {
            return true;
        }
        await access.RefuseAsync(context, target);
        return false;
    }

    /// <summary>
    /// The sandbox's address (Local), or the provider's URL for the port with the headers it wants (Daytona: its preview URL and
    /// token), which the transformer adds; grants, HMR settings and the client script apply the same either way.
    /// </summary>
    private async ValueTask<string> DestinationAsync(HttpContext context, PreviewTarget target)
    {
        if (provider is ISandboxPortUrls urls)
        {
            var url = await urls.GetPortUrlAsync(target.SandboxId, target.Port, context.RequestAborted);
            context.Items[PreviewTransformer.UpstreamHeadersKey] = url.Headers;
            return url.BaseUrl.AbsoluteUri;
        }
        var endpoint = await provider.GetPortEndpointAsync(target.SandboxId, target.Port, context.RequestAborted);
        return $"http://{Format(endpoint)}/";
    }

    private static PreviewProblem? ProblemOf(PreviewSnapshot? preview) => preview?.Status switch
    {
        null => PreviewProblem.Unknown,
        PreviewStatus.Ready => null,
        PreviewStatus.Pending or PreviewStatus.Starting => PreviewProblem.Starting,
        PreviewStatus.Stopped => PreviewProblem.Stopped,
        _ => PreviewProblem.Failed,
    };

    [LoggerMessage(EventId = 600, Level = LogLevel.Debug, Message = "Forwarding to sandbox {SandboxId} port {Port} failed: {Error}")]
    private static partial void LogForwardFailed(ILogger logger, Exception? ex, string sandboxId, int port, ForwarderError error);

    private static string? FirstLine(string? text) => text?.Split('\n', 2)[0];

    private static string Format(EndPoint endpoint) => endpoint switch
    {
        IPEndPoint ip => ip.ToString(),
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => throw new NotSupportedException($"The proxy cannot reach a {endpoint.GetType().Name}."),
    };
}

/// <summary>The proxy's shared HTTP client, request settings and transformer.</summary>
internal sealed class PreviewForwarding : IDisposable
{
    public PreviewForwarding(IOptions<PreviewOptions> options)
    {
        Invoker = NewInvoker();
        var ancestors = options.Value.FrameAncestors is { Length: > 0 } configured
            ? string.Join(' ', configured)
            : "'self' http://localhost:* http://127.0.0.1:* https://localhost:*";
        Transformer = new PreviewTransformer($"frame-ancestors {ancestors}", options.Value.InjectClientScript, options.Value.InjectScanBytes);
        ServerTiming = options.Value.ServerTiming;
    }

    /// <summary>Responses carry the proxy's own timings (<see cref="PreviewOptions.ServerTiming"/>).</summary>
    public bool ServerTiming { get; }

    public HttpMessageInvoker Invoker { get; }

    /// <summary>
    /// A client for forwarding as YARP recommends (no proxy, no redirects, no cookies, no decompression, no tracing
    /// headers), shared by the preview proxy and the forwards between instances.
    /// </summary>
    public static HttpMessageInvoker NewInvoker() => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        EnableMultipleHttp2Connections = true,
        ActivityHeadersPropagator = null,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
    });

    /// <summary>HMR sockets sit idle between edits for a long time; an idle timeout would make Vite reload the page.</summary>
    public ForwarderRequestConfig RequestConfig { get; } = new() { ActivityTimeout = TimeSpan.FromHours(12) };

    public HttpTransformer Transformer { get; }

    public void Dispose() => Invoker.Dispose();
}
