using System.Collections.Concurrent;
using LivePreview.Egress;
using LivePreview.Sandboxes;
using LivePreview.Snapshots;
using Microsoft.Extensions.Options;

namespace LivePreview.Gateway;

/// <summary>
/// Egress to the package registry for installs in any sandbox (not only snapshot builds), behind
/// <see cref="GatewayOptions.RegistryEgress"/>: the egress proxy allows the registry's host only, and every
/// process gets <c>HTTPS_PROXY</c> / <c>npm_config_proxy</c> pointing at it. Without a grant a sandbox has no egress.
/// The grant is made at the sandbox's first launch and kept until it is released (stop, delete): later launches
/// (commands, terminals) reuse its variables instead of granting again.
/// </summary>
internal sealed class RegistryEgressEnvironment(IServiceProvider services, IOptions<GatewayOptions> options, IOptions<SnapshotOptions> snapshots, ServiceSandboxes known,
    ILogger<RegistryEgressEnvironment> logger) : ISandboxEnvironment
{
    private readonly NpmRegistry _registry = new(snapshots.Value);

    /// <summary>The proxy's address is no credential, and without it an agent's <c>npm install</c> has no way out.</summary>
    public bool KeptInExactEnvironments => true;
    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, string>> _granted = new(StringComparer.Ordinal);

    // Resolved late: the egress proxy needs the sandbox provider, which needs the environments.
    private IEgressPolicy Egress => services.GetRequiredService<IEgressPolicy>();

    public async ValueTask<IReadOnlyDictionary<string, string>> PrepareAsync(string sandboxId, ISandboxNetworkAccess? network, CancellationToken cancellationToken)
    {
        if (!options.Value.RegistryEgress || network is null)
        {
            return new Dictionary<string, string>();
        }
        if (_granted.TryGetValue(sandboxId, out var granted))
        {
            return granted;
        }
        if (!await known.ExistsAsync(sandboxId, cancellationToken))
        {
            return new Dictionary<string, string>();
        }
        try
        {
            var registry = await _registry.GetAsync(cancellationToken);
            var grant = await Egress.GrantAsync(sandboxId, [new EgressTarget(registry.Host, registry.Port)], cancellationToken);
            var proxy = grant.ProxyUri.ToString().TrimEnd('/');
            return _granted[sandboxId] = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["npm_config_registry"] = registry.ToString(),
                ["npm_config_proxy"] = proxy,
                ["npm_config_https_proxy"] = proxy,
                ["HTTPS_PROXY"] = proxy,
                ["HTTP_PROXY"] = proxy,
                ["https_proxy"] = proxy,
                ["http_proxy"] = proxy,
                // The sandbox's own loopback (the gateway, a dev server) is never behind the proxy, which would refuse it.
                ["NO_PROXY"] = "127.0.0.1,localhost",
                ["no_proxy"] = "127.0.0.1,localhost",
            };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The sandbox still works; installs fail with npm's own message about the registry.
            GatewayLog.RegistryEgressFailed(logger, sandboxId, ex);
            return new Dictionary<string, string>();
        }
    }

    public async ValueTask ReleaseAsync(string sandboxId)
    {
        _granted.TryRemove(sandboxId, out _);
        if (options.Value.RegistryEgress)
        {
            await Egress.RevokeAsync(sandboxId);
        }
    }
}
