using System.Collections.Concurrent;
using LivePreview.Sandboxes;
using Microsoft.Extensions.Options;

namespace LivePreview.Egress;

/// <summary>
/// The egress proxy: an HTTP forward proxy (CONNECT, and plain http in absolute form) that a sandbox
/// reaches only once it was granted egress, on its own loopback — the listening socket is opened
/// inside the sandbox's network by the provider (<see cref="ISandboxNetworkAccess"/>), so the host
/// opens no port to sandboxes and the firewall keeps dropping every connection they start towards it.
/// </summary>
/// <remarks>
/// Plain sockets rather than Kestrel: a CONNECT tunnel is an opaque byte stream after one request
/// head, which Kestrel's HTTP pipeline does not hand over; its connection-handler layer would need a
/// second server instance per sandbox namespace and would still leave the parsing to us. The code here
/// reads one bounded head, never buffers a body and owns every limit (connections, head size, timeouts).
/// </remarks>
internal sealed class EgressProxy(ISandboxProvider provider, EgressRefusals refusals, IOptions<EgressOptions> options, ILogger<EgressProxy> logger)
    : IEgressPolicy, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, SandboxEgress> _sandboxes = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<EgressGrant> GrantAsync(string sandboxId, IReadOnlyCollection<EgressTarget> targets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (provider is not ISandboxNetworkAccess network)
        {
            throw new EgressUnavailableException($"The sandbox provider '{provider.Name}' cannot host the egress proxy.");
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_sandboxes.TryGetValue(sandboxId, out var egress))
            {
                var listener = network.ListenInside(sandboxId, options.Value.SandboxPort);
                egress = new SandboxEgress(sandboxId, listener, options.Value, refusals, logger);
                _sandboxes[sandboxId] = egress;
                egress.SetAllowed(targets);
                egress.Start();
            }
            egress.SetAllowed(targets);
        }
        finally
        {
            _gate.Release();
        }
        EgressLog.Granted(logger, sandboxId, targets.Count == 0 ? "nothing" : string.Join(", ", targets));
        return new EgressGrant(sandboxId, new Uri($"http://127.0.0.1:{options.Value.SandboxPort}"), this);
    }

    public async Task RevokeAsync(string sandboxId)
    {
        if (_sandboxes.TryRemove(sandboxId, out var egress))
        {
            await egress.DisposeAsync();
            refusals.Forget(sandboxId);
            EgressLog.Revoked(logger, sandboxId);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var sandboxId in _sandboxes.Keys)
        {
            await RevokeAsync(sandboxId);
        }
    }
}
