using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LivePreview.Network;

namespace LivePreview.Egress;

/// <summary>
/// One connection from a sandbox to its proxy: read a bounded request head, check the target against
/// the sandbox's grant, resolve the name here (never in the sandbox) to public addresses only, connect,
/// then relay bytes both ways with small fixed buffers until either side closes or the tunnel idles.
/// </summary>
internal sealed class EgressConnection(Socket client, SandboxEgress sandbox, EgressOptions options, EgressRefusals refusals, ILogger logger)
{
    private const int BufferSize = 16 * 1024;
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var clientStream = new NetworkStream(client, ownsSocket: true);
        var (head, leftover) = await ReadHeadAsync(clientStream, cancellationToken);
        if (head is null)
        {
            await RespondAsync(clientStream, 400, "Bad Request", "The request head is incomplete or larger than the proxy accepts.");
            return;
        }
        if (!EgressRequest.TryParse(head, out var request, out var error))
        {
            await RefuseAsync(clientStream, 400, "Bad Request", "(unparsable request)", $"Refused: {error}.");
            return;
        }
        var target = request.Target.ToString();
        if (!sandbox.Allows(request.Target))
        {
            await RefuseAsync(clientStream, 403, "Forbidden", target, $"Egress to {target} is not allowed for this sandbox.");
            return;
        }
        var addresses = await ResolveAsync(request.Host, cancellationToken);
        if (addresses.Count == 0)
        {
            await RefuseAsync(clientStream, 403, "Forbidden", target,
                $"Egress to {target} is refused: the name does not resolve to a public address (loopback, private and link-local addresses are never reached).");
            return;
        }
        using var upstream = await ConnectAsync(addresses, request.Port, cancellationToken);
        if (upstream is null)
        {
            await RespondAsync(clientStream, 502, "Bad Gateway", $"Could not connect to {target}.");
            return;
        }
        await using var upstreamStream = new NetworkStream(upstream, ownsSocket: false);
        if (request.IsConnect)
        {
            await clientStream.WriteAsync("HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray(), cancellationToken);
        }
        else
        {
            await upstreamStream.WriteAsync(request.ForOrigin(), cancellationToken);
        }
        await upstreamStream.WriteAsync(leftover, cancellationToken);
        var reason = await RelayAsync(clientStream, upstream, upstreamStream, cancellationToken);
        EgressLog.TunnelEnded(logger, sandbox.SandboxId, target, reason);
    }

    /// <summary>The head as text (without the blank line) and whatever the client sent after it, or null when it never ends within the limit.</summary>
    private async Task<(string? Head, byte[] Leftover)> ReadHeadAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        var buffer = new byte[options.MaxRequestHeadBytes];
        var filled = 0;
        try
        {
            while (filled < buffer.Length)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(filled), timeout.Token);
                if (read == 0)
                {
                    return (null, []);
                }
                var searchFrom = Math.Max(0, filled - HeadEnd.Length + 1);
                filled += read;
                var end = buffer.AsSpan(searchFrom, filled - searchFrom).IndexOf(HeadEnd);
                if (end >= 0)
                {
                    end += searchFrom;
                    return (Encoding.Latin1.GetString(buffer, 0, end), buffer[(end + HeadEnd.Length)..filled]);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
        return (null, []);
    }

    private async Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        IPAddress[] resolved;
        if (IPAddress.TryParse(host, out var literal))
        {
            resolved = [literal];
        }
        else
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.ConnectTimeout);
            try
            {
                resolved = await Dns.GetHostAddressesAsync(host, timeout.Token);
            }
            catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                return [];
            }
        }
        // All or nothing: a name with one private address among public ones is someone pointing it at a network it must not reach.
        return resolved.Length > 0 && resolved.All(a => PublicAddresses.IsPublic(a, documentationIsPublic: true)) ? resolved : [];
    }

    private async Task<Socket?> ConnectAsync(IReadOnlyList<IPAddress> addresses, int port, CancellationToken cancellationToken)
    {
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.ConnectTimeout);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), timeout.Token);
                return socket;
            }
            catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                socket.Dispose();
            }
        }
        return null;
    }

    /// <summary>Both directions at once; every read pushes the idle deadline back. Half-closes pass through.</summary>
    private async Task<string> RelayAsync(NetworkStream clientStream, Socket upstream, NetworkStream upstreamStream, CancellationToken cancellationToken)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(options.IdleTimeout);
        var up = PumpAsync(clientStream, upstreamStream, upstream, idle);
        var down = PumpAsync(upstreamStream, clientStream, client, idle);
        var reasons = await Task.WhenAll(up, down);
        return idle.IsCancellationRequested && !cancellationToken.IsCancellationRequested ? "idle" : string.Join(", ", reasons.Distinct());
    }

    private async Task<string> PumpAsync(NetworkStream from, NetworkStream to, Socket toSocket, CancellationTokenSource idle)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer.AsMemory(0, BufferSize), idle.Token)) > 0)
            {
                idle.CancelAfter(options.IdleTimeout);
                await to.WriteAsync(buffer.AsMemory(0, read), idle.Token);
            }
            toSocket.Shutdown(SocketShutdown.Send);
            return "closed";
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // One side broke or idled: end the other direction too.
            await idle.CancelAsync();
            return ex is OperationCanceledException ? "cancelled" : "reset";
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task RefuseAsync(NetworkStream stream, int status, string phrase, string target, string reason)
    {
        await refusals.ReportAsync(sandbox.SandboxId, target, reason);
        await RespondAsync(stream, status, phrase, reason);
    }

    private static async Task RespondAsync(NetworkStream stream, int status, string phrase, string reason)
    {
        var body = Encoding.UTF8.GetBytes(reason + "\n");
        var head = Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {phrase}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
        try
        {
            // One write: a client that reads the head's segment and stops still gets the reason with it.
            await stream.WriteAsync((byte[])[.. head, .. body]);
        }
        catch (IOException)
        {
            // The client went away; nothing to tell it.
        }
    }
}
