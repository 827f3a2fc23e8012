using System.Net;
using Yarp.ReverseProxy.Forwarder;

namespace LivePreview.Instances;

/// <summary>
/// First in the pipeline (after WebSockets): a request that arrives from another instance is checked
/// (<see cref="ForwardSignature"/>) and then served here, never forwarded again; any other request for a sandbox that
/// another live instance runs — its preview host, its files, terminal, commands, sessions — is forwarded there whole by
/// YARP (the Host header, cookies and the user's key travel as they came: the owner authenticates and owner-checks it as
/// it would its own, so a stranger gets the same 404 either way). A new sandbox (<c>POST /api/v1/sandboxes</c>) goes to
/// the instance <see cref="SandboxPlacement"/> picks. A request an instance makes for a dashboard user
/// (<see cref="InstanceClient"/>) is authenticated as that user (<see cref="Auth.ActingUserFeature"/>).
/// </summary>
internal sealed partial class InstanceForwardingMiddleware(
    RequestDelegate next,
    InstanceDirectory directory,
    Previews.PreviewAddress address,
    SandboxPlacement placement,
    ForwardSignature signature,
    IHttpForwarder forwarder,
    InstanceForwarding forwarding,
    ILogger<InstanceForwardingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (ForwardSignature.IsPresent(context.Request))
        {
            var (client, actingUser, refusal) = signature.Verify(context.Request);
            if (refusal is not null)
            {
                LogRefused(logger, context.Connection.RemoteIpAddress?.ToString(), refusal);
                await Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not a forwarded request",
                    detail: refusal + " Requests must not carry X-LivePreview-* headers.").ExecuteAsync(context);
                return;
            }
            context.Connection.RemoteIpAddress = IPAddress.TryParse(client, out var address) ? address : null;
            if (actingUser is not null)
            {
                // An instance acting for a dashboard user (InstanceClient): that user, not the request's own credentials.
                context.Features.Set(new Auth.ActingUserFeature(actingUser));
            }
            foreach (var header in ForwardSignature.Headers)
            {
                context.Request.Headers.Remove(header);
            }
            await next(context);
            return;
        }
        var owner = await directory.OwnerOfRequestAsync(context, address, context.RequestAborted)
            ?? (IsCreate(context.Request) ? await placement.ElsewhereAsync(context.RequestAborted) : null);
        if (owner is null)
        {
            await next(context);
            return;
        }
        var error = await forwarder.SendAsync(context, owner.InternalUrl + "/", forwarding.Invoker, forwarding.RequestConfig, forwarding.Transformer);
        if (error == ForwarderError.None)
        {
            return;
        }
        LogForwardFailed(logger, context.Features.Get<IForwarderErrorFeature>()?.Exception, owner.Id, owner.InternalUrl, error);
        if (!context.Response.HasStarted)
        {
            context.Response.Clear();
            await Results.Problem(statusCode: StatusCodes.Status502BadGateway, title: "Instance unreachable",
                detail: $"The instance that runs this sandbox ({owner.Id}) did not answer ({error}). If it is gone, its sandboxes are marked lost "
                    + $"within {InstanceOptions.Section}:LostAfter; try again then.").ExecuteAsync(context);
        }
    }

    private static bool IsCreate(HttpRequest request) =>
        HttpMethods.IsPost(request.Method) && request.Path.Value?.TrimEnd('/') == "/api/v1/sandboxes";

    [LoggerMessage(EventId = 2824, Level = LogLevel.Warning, Message = "Refused a request from {Remote} posing as forwarded: {Refusal}")]
    private static partial void LogRefused(ILogger logger, string? remote, string refusal);

    [LoggerMessage(EventId = 2825, Level = LogLevel.Warning, Message = "Forwarding to instance {Id} at {InternalUrl} failed: {Error}")]
    private static partial void LogForwardFailed(ILogger logger, Exception? exception, string id, string internalUrl, ForwarderError error);
}

/// <summary>The client, request settings and transformer of forwards between instances.</summary>
internal sealed class InstanceForwarding : IDisposable
{
    public InstanceForwarding(InstanceIdentity identity, ForwardSignature signature)
    {
        Invoker = Proxy.PreviewForwarding.NewInvoker();
        // Previews' HMR sockets and terminals stay open and idle for long: no activity timeout cuts them.
        RequestConfig = new ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromHours(12) };
        Transformer = new SigningTransformer(identity, signature);
    }

    public HttpMessageInvoker Invoker { get; }

    public ForwarderRequestConfig RequestConfig { get; }

    public HttpTransformer Transformer { get; }

    public void Dispose() => Invoker.Dispose();

    /// <summary>YARP's default copy of the request, plus the original Host (preview hosts and cookies depend on it) and the signature.</summary>
    private sealed class SigningTransformer(InstanceIdentity identity, ForwardSignature signature) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            var request = httpContext.Request;
            var host = request.Host.Value ?? "";
            proxyRequest.Headers.Host = host;
            foreach (var header in ForwardSignature.Headers)
            {
                proxyRequest.Headers.Remove(header);
            }
            var client = httpContext.Connection.RemoteIpAddress?.ToString() ?? "";
            foreach (var (name, value) in signature.Sign(identity.Id, request.Method, host, request.Path.Value + request.QueryString.Value, client))
            {
                proxyRequest.Headers.TryAddWithoutValidation(name, value);
            }
        }
    }
}
