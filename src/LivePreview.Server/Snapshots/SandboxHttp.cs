using System.Net;
using System.Net.Sockets;

namespace LivePreview.Snapshots;

/// <summary>
/// An HttpClient that reaches a sandbox port wherever the provider says it is (TCP or a Unix socket
/// relay), whatever host name the URL carries. Requests use <c>localhost</c> so that Vite's host
/// check passes without touching the template's config (FIELD-NOTES 1).
/// </summary>
internal static class SandboxHttp
{
    public static HttpClient CreateClient(EndPoint endpoint, TimeSpan requestTimeout)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            ConnectCallback = async (_, ct) =>
            {
                var socket = NewSocket(endpoint);
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
            },
        };
        return new HttpClient(handler) { Timeout = requestTimeout };
    }

    public static Uri PageUri(int port) => new($"http://localhost:{port}/");

    private static Socket NewSocket(EndPoint endpoint) => endpoint switch
    {
        UnixDomainSocketEndPoint => new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified),
        IPEndPoint ip => new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true },
        _ => new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true },
    };
}
