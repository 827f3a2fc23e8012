using System.Net;
using System.Net.Sockets;

namespace LivePreview.Sandboxes.Local;

/// <summary>Host services reachable from one sandbox only (the egress proxy): a socket listening inside its network namespace.</summary>
internal sealed partial class LocalSandboxProvider : ISandboxNetworkAccess
{
    public Socket ListenInside(string sandboxId, int port)
    {
        var layout = Layout(sandboxId);
        Record(sandboxId);
        if (!NetworkNamespace.Exists(layout))
        {
            throw new InvalidOperationException($"Sandbox '{sandboxId}' has no network namespace; attach it first.");
        }
        return NamespaceSocket.Listen(layout.NetworkNamespace, new IPEndPoint(IPAddress.Loopback, port), backlog: 64);
    }
}
