using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LivePreview.Tests.Drills;

/// <summary>What the server answered: status, content type, the body as text (empty when it sent none).</summary>
public sealed record RawResponse(int Status, string? ContentType, string Body, string? Allow);

/// <summary>
/// HTTP/1.1 over a plain socket, sending the request target byte for byte: <see cref="HttpClient"/>'s <see cref="Uri"/>
/// would normalise <c>..</c> and <c>%2e%2e</c> away and refuse NUL, invalid UTF-8 or a bare backslash before the server
/// ever saw them, which is exactly what a bad-input corpus must send. One request per connection (<c>Connection: close</c>).
/// </summary>
public static class RawHttp
{
    public static async Task<RawResponse> SendAsync(int port, string method, byte[] target, string? bearer,
        byte[]? body = null, string? contentType = null, CancellationToken ct = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(120));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), timeout.Token);
        await using var stream = new NetworkStream(socket, ownsSocket: false);

        var head = new StringBuilder();
        head.Append($"Host: 127.0.0.1:{port}\r\nConnection: close\r\n");
        if (bearer is not null)
        {
            head.Append($"Authorization: Bearer {bearer}\r\n");
        }
        if (contentType is not null)
        {
            head.Append($"Content-Type: {contentType}\r\n");
        }
        if (body is not null || method is "POST" or "PUT" or "PATCH")
        {
            head.Append($"Content-Length: {body?.Length ?? 0}\r\n");
        }
        head.Append("\r\n");
        byte[] request = [.. Encoding.ASCII.GetBytes(method + " "), .. target, .. " HTTP/1.1\r\n"u8, .. Encoding.ASCII.GetBytes(head.ToString())];
        try
        {
            await stream.WriteAsync(request, timeout.Token);
            if (body is not null)
            {
                await stream.WriteAsync(body, timeout.Token);
            }
        }
        catch (IOException)
        {
            // The server may answer (413, 400) and close before it read a large body; its answer is still there to read.
        }
        return Parse(await ReadToEndAsync(stream, timeout.Token));
    }

    public static Task<RawResponse> SendAsync(int port, string method, string target, string? bearer, byte[]? body = null, string? contentType = null) =>
        SendAsync(port, method, Encoding.UTF8.GetBytes(target), bearer, body, contentType);

    private static async Task<byte[]> ReadToEndAsync(NetworkStream stream, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        try
        {
            await stream.CopyToAsync(buffer, ct);
        }
        catch (IOException) when (buffer.Length > 0)
        {
            // A reset after the answer (the server closing on an unread body) loses nothing already received.
        }
        return buffer.ToArray();
    }

    private static RawResponse Parse(byte[] data)
    {
        var split = data.AsSpan().IndexOf("\r\n\r\n"u8);
        if (split < 0)
        {
            throw new InvalidDataException($"No HTTP response (the connection closed after {data.Length} bytes): the server crashed or hung up.");
        }
        var lines = Encoding.Latin1.GetString(data, 0, split).Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
            .GroupBy(p => p[0].Trim(), StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First()[1].Trim(), StringComparer.OrdinalIgnoreCase);
        var body = data.AsSpan(split + 4);
        var text = headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase)
            ? Dechunk(body) : body.ToArray();
        return new RawResponse(status, headers.GetValueOrDefault("Content-Type"), Encoding.UTF8.GetString(text), headers.GetValueOrDefault("Allow"));
    }

    private static byte[] Dechunk(ReadOnlySpan<byte> body)
    {
        using var output = new MemoryStream();
        while (body.Length > 0)
        {
            var end = body.IndexOf("\r\n"u8);
            if (end < 0)
            {
                break;
            }
            var size = Convert.ToInt32(Encoding.ASCII.GetString(body[..end]).Split(';')[0].Trim(), 16);
            if (size == 0)
            {
                break;
            }
            output.Write(body.Slice(end + 2, size));
            body = body[(end + 2 + size + 2)..];
        }
        return output.ToArray();
    }
}
