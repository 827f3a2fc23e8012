namespace LivePreview.Previews;

public enum PreviewUrlMode { Host, Path }

/// <summary>How previews are addressed and how their dev servers are supervised (section <c>LivePreview:Previews</c>).</summary>
public sealed class PreviewOptions
{
    public const string Section = "LivePreview:Previews";

    /// <summary>
    /// Base domain of host-mode previews: <c>{port}-{sandboxId}.{Domain}</c>. The default needs no DNS:
    /// browsers resolve every <c>*.localhost</c> name to loopback. Deployments set a wildcard domain.
    /// </summary>
    public string Domain { get; set; } = "preview.localhost";

    /// <summary>Scheme of preview URLs as the browser sees them (https behind a TLS terminator; HMR then uses wss).</summary>
    public string Scheme { get; set; } = "http";

    /// <summary>Port of preview URLs as the browser sees them; null means the port this service listens on. 443/80 are left out of URLs.</summary>
    public int? PublicPort { get; set; }

    /// <summary><c>Host</c> (default, each preview on its own origin) or <c>Path</c> (<c>/preview/{id}/{port}/</c> on the dashboard origin, for deployments without wildcard DNS).</summary>
    public PreviewUrlMode Mode { get; set; } = PreviewUrlMode.Host;

    /// <summary>
    /// Origins allowed to embed previews in an iframe (CSP frame-ancestors). Empty means the dashboard
    /// as served on this machine: localhost and 127.0.0.1 on any port.
    /// </summary>
    public string[] FrameAncestors { get; set; } = [];

    /// <summary>Add the small client script to preview pages that reports runtime and build errors (PREVIEW_CLIENT_REPORT events).</summary>
    public bool InjectClientScript { get; set; } = true;

    /// <summary>
    /// How far into an HTML page the proxy reads to find the end of its <c>&lt;head&gt;</c> tag, where the client
    /// script goes. Pages stream; this prefix is the only part held in memory. No head within it: no script.
    /// </summary>
    public int InjectScanBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Add a <c>Server-Timing</c> header to forwarded responses (<c>lp-proxy</c>: matching, access check and address
    /// lookup; <c>lp-upstream</c>: until the dev server's headers arrived; <c>lp-inject</c>: reading the page up to its
    /// head), so a browser's Resource Timing can tell time in the proxy from time in the dev server and on the wire
    /// (bench/LivePreview.PaintBench). Off by default: it is a measuring aid, not something previews need.
    /// </summary>
    public bool ServerTiming { get; set; }

    /// <summary>Client reports a preview may send in a burst (token bucket per sandbox and port).</summary>
    public int ReportBurst { get; set; } = 20;

    /// <summary>Client reports per second a preview may send once its burst is spent.</summary>
    public int ReportsPerSecond { get; set; } = 2;

    /// <summary>Client reports kept (published as events) per preview within <see cref="ReportWindow"/>; the excess is dropped and logged once per window.</summary>
    public int MaxReportsPerWindow { get; set; } = 200;

    public TimeSpan ReportWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Update reports (PREVIEW_UPDATED) a sandbox's pages may send in a burst, over all its ports and tabs (token bucket per sandbox).</summary>
    public int UpdateReportBurst { get; set; } = 10;

    /// <summary>Update reports per second a sandbox's pages may send once the burst is spent.</summary>
    public int UpdateReportsPerSecond { get; set; } = 5;

    /// <summary>
    /// How far back an update report looks for the edit (FILE_CHANGED / FILE_DELETED) it painted; an update with no edit
    /// within it (a change made inside the sandbox, not through the service) is reported without an edit-to-paint figure.
    /// </summary>
    public TimeSpan UpdateMatchWindow { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// After an agent's edit, how long its tool call waits for the browser's word on it: the update painted
    /// (PREVIEW_UPDATED) or the page's errors (Proxy/PaintFeedback). Zero: the agent is not told. Not waited when no
    /// browser has the preview open.
    /// </summary>
    public TimeSpan AgentPaintWait { get; set; } = TimeSpan.FromSeconds(1.5);

    /// <summary>Once the first word after an edit is in (an update or an error), how much longer to collect the rest (other errors, the update after an error).</summary>
    public TimeSpan AgentPaintSettle { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>How long a dev server may take from start to ready before the preview is marked as failed.</summary>
    public TimeSpan ReadinessTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Interval between readiness probes while a dev server starts.</summary>
    public TimeSpan ReadinessPollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Crash restarts allowed within <see cref="RestartWindow"/> before the preview goes to the error state.</summary>
    public int MaxRestarts { get; set; } = 3;

    public TimeSpan RestartWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Delay before a crashed dev server is restarted; doubles with every restart in the window.</summary>
    public TimeSpan RestartBackoff { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Dev-server log lines kept per preview (shown with the error state and in the UI).</summary>
    public int LogLines { get; set; } = 200;

    /// <summary>Every port a process in a sandbox listens on becomes a preview (section <c>LivePreview:Previews:PortDetection</c>).</summary>
    public PortDetectionOptions PortDetection { get; set; } = new();
}

/// <summary>How <see cref="PortWatcher"/> finds the ports something listens on inside running sandboxes.</summary>
public sealed class PortDetectionOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>Time between two looks at every running sandbox's listening sockets.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Ports tracked per sandbox (the dev server's included); a port beyond them is refused with PORT_REFUSED, once.</summary>
    public int MaxPorts { get; set; } = 10;

    /// <summary>
    /// Ports that are never previews: the egress proxy's (3128). The model gateway's and the egress proxy's configured
    /// ports inside the sandbox (LivePreview:Gateway:SandboxPort, LivePreview:Egress:SandboxPort) are ignored as well.
    /// </summary>
    public int[] IgnoredPorts { get; set; } = [3128];

    /// <summary>How long a watch-only preview may answer something that is not HTTP before it is marked as not HTTP.</summary>
    public TimeSpan NotHttpAfter { get; set; } = TimeSpan.FromSeconds(3);
}
