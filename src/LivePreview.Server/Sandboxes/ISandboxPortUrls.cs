namespace LivePreview.Sandboxes;

/// <summary>
/// Providers whose ports are reached over a URL with headers rather than a raw address (Daytona: a preview URL and its
/// preview token). The proxy and the host's probes ask this first when the provider has it; a provider without it (Local)
/// keeps the plain <see cref="ISandboxProvider.GetPortEndpointAsync"/> path, unchanged.
/// </summary>
public interface ISandboxPortUrls
{
    /// <summary>Where <paramref name="port"/> of the sandbox answers, and the headers every request to it must carry.</summary>
    ValueTask<SandboxPortUrl> GetPortUrlAsync(string sandboxId, int port, CancellationToken cancellationToken);
}

/// <param name="BaseUrl">The port's root (scheme, host, port and a base path ending in '/'); request paths go below it.</param>
/// <param name="Headers">Credentials the provider's own proxy wants (never shown to the browser or the sandbox).</param>
public sealed record SandboxPortUrl(Uri BaseUrl, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    /// <summary><see cref="BaseUrl"/> without its trailing slash, for a request path ("/x") to be appended.</summary>
    public string Prefix => BaseUrl.AbsoluteUri.TrimEnd('/');
}
