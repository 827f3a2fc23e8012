namespace LivePreview.Egress;

/// <summary>One host a sandbox may open connections to through the egress proxy. Names are matched exactly (no wildcards).</summary>
public sealed record EgressTarget(string Host, int Port = 443)
{
    /// <summary>The same target in the form the proxy compares: lower-case, without a trailing dot.</summary>
    public EgressTarget Normalized() => this with { Host = EgressRequest.NormalizeHost(Host) };

    public override string ToString() => $"{Host}:{Port}";
}

/// <summary>
/// Who may leave a sandbox, to where. A sandbox without a grant has no egress at all (no proxy is
/// reachable from it); a grant opens the egress proxy inside that sandbox's network, allowing only
/// the listed targets. Snapshot builds grant the package registry; repository installs can do the same.
/// </summary>
public interface IEgressPolicy
{
    /// <summary>
    /// Allows <paramref name="targets"/> from the sandbox (replacing an earlier list) and returns the
    /// proxy's URL as processes in the sandbox see it (for <c>HTTPS_PROXY</c>). The sandbox must exist.
    /// </summary>
    Task<EgressGrant> GrantAsync(string sandboxId, IReadOnlyCollection<EgressTarget> targets, CancellationToken cancellationToken);

    /// <summary>Closes the sandbox's proxy and every tunnel it holds. Nothing happens if it had no grant.</summary>
    Task RevokeAsync(string sandboxId);
}

/// <summary>A sandbox's egress grant; disposing it revokes the sandbox's egress.</summary>
public sealed class EgressGrant(string sandboxId, Uri proxyUri, IEgressPolicy policy) : IAsyncDisposable
{
    public string SandboxId { get; } = sandboxId;

    /// <summary><c>http://127.0.0.1:{port}</c>: the proxy listens on the sandbox's own loopback.</summary>
    public Uri ProxyUri { get; } = proxyUri;

    public async ValueTask DisposeAsync() => await policy.RevokeAsync(SandboxId);
}

/// <summary>The sandbox's provider cannot host an egress proxy.</summary>
public sealed class EgressUnavailableException(string message) : Exception(message);
