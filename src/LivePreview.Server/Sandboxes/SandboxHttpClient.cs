using System.Net;
using System.Net.Sockets;

namespace LivePreview.Sandboxes;

/// <summary>How much the host accepts from a sandbox's HTTP server in one request.</summary>
/// <param name="MaxBodyBytes">Bytes of a response body read at most; the rest is never read.</param>
/// <param name="RequestTimeout">Whole request, headers and the bounded body read.</param>
/// <param name="ConnectTimeout">TCP (or Unix socket) connect.</param>
public sealed record SandboxHttpLimits(int MaxBodyBytes, TimeSpan RequestTimeout, TimeSpan ConnectTimeout)
{
    public static SandboxHttpLimits Default { get; } = new(1024 * 1024, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2));

    /// <summary>Response headers in KiB (SocketsHttpHandler.MaxResponseHeadersLength); 16 is ample for a dev server.</summary>
    public const int MaxResponseHeadersKiB = 16;
}

/// <summary>What a sandbox answered, read within the limits. <see cref="Failure"/> is set (bounded, host-worded) when nothing usable came back.</summary>
/// <param name="NotHttp">The port answered, but not in HTTP (a malformed response, or the connection closed before one).</param>
public sealed record SandboxHttpResponse(int StatusCode, string? ContentType, string Body, bool Truncated, string? Failure, bool TimedOut = false, bool NotHttp = false)
{
    public bool IsRedirect => StatusCode is >= 300 and < 400;

    /// <summary>The words every caller uses for a redirect (never the target: it is the sandbox's text).</summary>
    public string RedirectReason => $"the dev server answered {StatusCode} (redirects are not followed)";
}

/// <summary>
/// The one way the host speaks HTTP to a sandbox (readiness probes, build checks, the dep-cache warmer).
/// Code in a sandbox is hostile, so: every connection goes to the endpoint the provider returned for
/// the port, whatever the URL or a redirect says (no DNS, no other address is ever dialled); redirects,
/// proxies, cookies and decompression are off; headers and bodies are read up to a limit; every request
/// has a deadline. The proxy is the only other client of sandboxes (YARP, <c>PreviewForwarding</c>).
/// </summary>
public sealed class SandboxHttpClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly SandboxHttpLimits _limits;

    private SandboxHttpClient(EndPoint endpoint, SandboxHttpLimits limits, IReadOnlyList<KeyValuePair<string, string>>? headers)
    {
        Endpoint = endpoint;
        _limits = limits;
        _http = new HttpClient(CreateHandler(endpoint, limits.ConnectTimeout), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        foreach (var (name, value) in headers ?? [])
        {
            _http.DefaultRequestHeaders.TryAddWithoutValidation(name, value);
        }
    }

    public EndPoint Endpoint { get; }

    /// <param name="headers">Sent with every request (a provider's credential for its own proxy, <see cref="SandboxPortUrl.Headers"/>).</param>
    public static SandboxHttpClient Create(EndPoint endpoint, SandboxHttpLimits? limits = null, IReadOnlyList<KeyValuePair<string, string>>? headers = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return new SandboxHttpClient(endpoint, limits ?? SandboxHttpLimits.Default, headers);
    }

    /// <summary>
    /// Where the host reaches <paramref name="port"/>: the endpoint it dials, the URL prefix request paths go below
    /// (<c>http://{endpoint}</c> for a provider that gives an address) and the headers the provider wants.
    /// </summary>
    public static async ValueTask<(EndPoint Endpoint, string Prefix, IReadOnlyList<KeyValuePair<string, string>>? Headers)> PortAsync(
        ISandboxProvider provider, string sandboxId, int port, CancellationToken cancellationToken)
    {
        if (provider is ISandboxPortUrls urls)
        {
            var url = await urls.GetPortUrlAsync(sandboxId, port, cancellationToken);
            return (new DnsEndPoint(url.BaseUrl.Host, url.BaseUrl.Port), url.Prefix, url.Headers);
        }
        var endpoint = await provider.GetPortEndpointAsync(sandboxId, port, cancellationToken);
        return (endpoint, $"http://{endpoint}", null);
    }

    /// <summary>The handler behind every sandbox client; pinned to <paramref name="endpoint"/>.</summary>
    public static SocketsHttpHandler CreateHandler(EndPoint endpoint, TimeSpan connectTimeout) => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        MaxResponseHeadersLength = SandboxHttpLimits.MaxResponseHeadersKiB,
        MaxResponseDrainSize = 0,
        ConnectTimeout = connectTimeout,
        PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        ActivityHeadersPropagator = null,
        // Whatever host the request URI names, only the provider's endpoint is dialled.
        ConnectCallback = (_, ct) => ConnectAsync(endpoint, ct),
    };

    /// <summary>
    /// GETs <paramref name="uri"/> from the sandbox and reads at most <see cref="SandboxHttpLimits.MaxBodyBytes"/>
    /// of the body (none when <paramref name="readBody"/> is false). Never throws for what the sandbox does;
    /// only <paramref name="cancellationToken"/> cancels.
    /// </summary>
    public async Task<SandboxHttpResponse> GetAsync(Uri uri, bool readBody, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_limits.RequestTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            var status = (int)response.StatusCode;
            var contentType = response.Content.Headers.ContentType?.MediaType;
            if (!readBody || status is >= 300 and < 400)
            {
                return new SandboxHttpResponse(status, contentType, "", false, null);
            }
            await using var stream = await response.Content.ReadAsStreamAsync(deadline.Token);
            var (body, truncated) = await BoundedReader.ReadUtf8Async(stream, _limits.MaxBodyBytes, deadline.Token);
            return new SandboxHttpResponse(status, contentType, body, truncated, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Failed(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"no answer within {_limits.RequestTimeout.TotalSeconds:0.#} s")) with { TimedOut = true };
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return Failed(SandboxText.Clean(ex.Message, 300)) with
            {
                NotHttp = ex is HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse or HttpRequestError.ResponseEnded },
            };
        }
    }

    private static SandboxHttpResponse Failed(string reason) => new(0, null, "", false, reason);

    private static async ValueTask<Stream> ConnectAsync(EndPoint endpoint, CancellationToken ct)
    {
        var socket = endpoint switch
        {
            UnixDomainSocketEndPoint => new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified),
            IPEndPoint ip => new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true },
            // A name the provider gave (a remote provider's host), never one from the sandbox.
            _ => new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true },
        };
        try
        {
            await socket.ConnectAsync(endpoint, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose() => _http.Dispose();
}
