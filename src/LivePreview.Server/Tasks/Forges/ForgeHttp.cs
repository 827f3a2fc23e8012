using System.Net;
using System.Net.Sockets;

namespace LivePreview.Tasks.Forges;

/// <summary>
/// The HTTP stack of forge calls. Connections go to the configured API host only (a URL the forge hands back — a
/// pagination link, a redirect — cannot send the token elsewhere), redirects are never followed (a 3xx is an error),
/// and each response body is read to at most <see cref="ForgeEntry.MaxResponseBytes"/>.
/// </summary>
internal static class ForgeHttp
{
    public static HttpMessageHandler CreateHandler(ForgeEntry entry, Uri api) => new Guard(entry, api)
    {
        InnerHandler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            ConnectTimeout = entry.Timeout,
            ConnectCallback = async (context, ct) =>
            {
                if (!string.Equals(context.DnsEndPoint.Host, api.IdnHost, StringComparison.OrdinalIgnoreCase) || context.DnsEndPoint.Port != api.Port)
                {
                    throw new HttpRequestException($"A forge request aimed at {context.DnsEndPoint.Host}:{context.DnsEndPoint.Port}, not the configured API host {api.Authority}.");
                }
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        },
    };

    private sealed class Guard(ForgeEntry entry, Uri api) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            if (request.RequestUri is not { } uri || uri.Scheme != api.Scheme || !string.Equals(uri.IdnHost, api.IdnHost, StringComparison.OrdinalIgnoreCase) || uri.Port != api.Port)
            {
                throw new ForgeException(null, $"A forge request aimed outside the configured API {api.GetLeftPart(UriPartial.Authority)}; it was not sent.");
            }
            var response = await base.SendAsync(request, ct);
            if ((int)response.StatusCode is >= 300 and < 400)
            {
                var status = (int)response.StatusCode;
                response.Dispose();
                throw new ForgeException(status, $"The forge at {api.Authority} answered {status} (a redirect), which is not followed: check {ForgeOptions.Section}'s ApiUrl.");
            }
            try
            {
                await response.Content.LoadIntoBufferAsync(entry.MaxResponseBytes, ct);
            }
            catch (HttpRequestException e)
            {
                response.Dispose();
                throw new ForgeException((int)response.StatusCode, $"The forge's answer is larger than {entry.MaxResponseBytes} bytes (MaxResponseBytes of its {ForgeOptions.Section} entry).", e);
            }
            return response;
        }
    }
}
