using System.Net;

namespace LivePreview.Sandboxes.Local;

/// <summary>Port detection: the listening sockets of a sandbox's network namespace, read by <see cref="NamespacePortReader"/>.</summary>
internal sealed partial class LocalSandboxProvider : ISandboxPorts
{
    private readonly NamespacePortReader _ports = new();

    public async ValueTask<IReadOnlyList<ListeningSocket>> ListListeningAsync(string sandboxId, CancellationToken cancellationToken)
    {
        var layout = Layout(sandboxId);
        // A sandbox that is not attached has no network, hence nothing listening (and no namespace to enter).
        return NetworkNamespace.Exists(layout) ? await _ports.ReadAsync(layout.NetworkNamespace, cancellationToken) : [];
    }

    public IPAddress? AddressOf(string sandboxId)
    {
        try
        {
            return Subnet(Record(sandboxId)).Sandbox;
        }
        catch (SandboxNotFoundException)
        {
            return null;
        }
    }
}
