using LivePreview.Hosting;
using Microsoft.Extensions.Options;

namespace LivePreview.Gateway;

/// <summary>Where the gateway's own server listens: a Unix socket in the data directory (0600, the service's user only).</summary>
public sealed class GatewaySocket(IOptions<LivePreviewOptions> common)
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetFullPath(common.Value.DataDirectory), "gateway.sock");
}
