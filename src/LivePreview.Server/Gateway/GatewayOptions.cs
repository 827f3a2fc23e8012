namespace LivePreview.Gateway;

/// <summary>The sandbox gateway (section <c>LivePreview:Gateway</c>): MCP, the model gateway, registry egress.</summary>
public sealed class GatewayOptions
{
    public const string Section = "LivePreview:Gateway";

    /// <summary>Port the gateway listens on inside every sandbox, on the sandbox's own loopback.</summary>
    public int SandboxPort { get; set; } = 4319;

    /// <summary>
    /// Secret the sandbox tokens are derived from (HMAC-SHA256 of the sandbox id). Empty: a random one kept in
    /// <c>{DataDirectory}/gateway-secret</c> (0600). Set it to share tokens between several instances.
    /// </summary>
    public string TokenSecret { get; set; } = "";

    /// <summary>Give every sandbox egress to the package registry (<c>HTTPS_PROXY</c>, <c>npm_config_proxy</c>) for installs.</summary>
    public bool RegistryEgress { get; set; } = true;

    /// <summary>Most connections one sandbox may hold open to the gateway at once.</summary>
    public int MaxConnectionsPerSandbox { get; set; } = 32;

    /// <summary>Largest model request body forwarded to a provider.</summary>
    public long MaxModelRequestBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>How often <c>ask_user</c> sends a progress notification while it waits (a keep-alive for the client).</summary>
    public TimeSpan AskKeepAlive { get; set; } = TimeSpan.FromSeconds(15);
}
