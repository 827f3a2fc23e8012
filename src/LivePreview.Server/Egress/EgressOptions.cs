namespace LivePreview.Egress;

/// <summary>The egress proxy for sandboxes that were granted egress (section <c>LivePreview:Egress</c>).</summary>
public sealed class EgressOptions
{
    public const string Section = "LivePreview:Egress";

    /// <summary>Port the proxy listens on inside each granted sandbox (on the sandbox's own loopback, so one port serves every sandbox).</summary>
    public int SandboxPort { get; set; } = 3128;

    /// <summary>Most connections one sandbox may hold open through the proxy at once (npm opens up to 15).</summary>
    public int MaxConnectionsPerSandbox { get; set; } = 32;

    /// <summary>A tunnel with no bytes in either direction for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Longest wait for a client's request head, and for the connection to the target.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Largest request head (request line and headers) the proxy reads; larger is refused.</summary>
    public int MaxRequestHeadBytes { get; set; } = 8 * 1024;

    /// <summary>Refused requests are logged and published as <c>EGRESS_REFUSED</c> at most this many times per sandbox and minute.</summary>
    public int MaxRefusalReportsPerMinute { get; set; } = 10;
}
