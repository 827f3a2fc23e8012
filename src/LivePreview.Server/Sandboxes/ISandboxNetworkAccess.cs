using System.Net.Sockets;

namespace LivePreview.Sandboxes;

/// <summary>
/// Providers that let a host service be reached from one sandbox only, without opening anything on
/// the host: the host opens a listening socket inside that sandbox's own network. The egress proxy
/// uses it, so only sandboxes that were granted egress have a proxy at all, and the firewall keeps
/// dropping every connection a sandbox opens towards the host.
/// </summary>
public interface ISandboxNetworkAccess
{
    /// <summary>
    /// A TCP socket listening on the sandbox's loopback (<c>127.0.0.1:<paramref name="port"/></c> as the
    /// sandbox sees it); the caller accepts on it and closes it. Throws if the port is taken in the sandbox.
    /// </summary>
    Socket ListenInside(string sandboxId, int port);
}
