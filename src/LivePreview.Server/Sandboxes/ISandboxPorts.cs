using System.Net;

namespace LivePreview.Sandboxes;

/// <summary>
/// Providers that can tell which TCP ports something listens on inside a sandbox (port detection, Previews/PortWatcher).
/// A provider without it has no port detection: only the dev server's own port gets a preview.
/// </summary>
public interface ISandboxPorts
{
    /// <summary>
    /// Every listening TCP socket inside the sandbox's network, with the address it is bound to (as the sandbox sees it;
    /// IPv4-mapped IPv6 addresses are given as IPv4). Empty when nothing listens, or when the sandbox has no network now.
    /// </summary>
    ValueTask<IReadOnlyList<ListeningSocket>> ListListeningAsync(string sandboxId, CancellationToken cancellationToken);

    /// <summary>The sandbox's own address, the one the proxy dials (a listener bound to it is reachable like a wildcard one).</summary>
    IPAddress? AddressOf(string sandboxId);
}

public sealed record ListeningSocket(IPAddress Address, int Port);
