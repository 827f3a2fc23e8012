namespace LivePreview.Terminals;

/// <summary>Terminals in sandboxes (<c>GET /api/v1/sandboxes/{id}/terminal</c>): how many, how long they wait for a client, how much screen they keep.</summary>
public sealed class TerminalOptions
{
    public const string Section = "LivePreview:Terminals";

    /// <summary>Shells one sandbox may have at once (named with <c>?terminal=</c>); one more is refused with 409.</summary>
    public int MaxPerSandbox { get; set; } = 4;

    /// <summary>How long a shell with no client attached stays alive for a reattach before it is killed.</summary>
    public TimeSpan DetachedTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Recent output kept per terminal and replayed to a client that (re)attaches, so it sees the current screen.</summary>
    public int BufferBytes { get; set; } = 256 * 1024;

    /// <summary>The largest message a client may send (keystrokes, a paste, a control message); a larger one closes the socket with 1009.</summary>
    public int MaxInputMessageBytes { get; set; } = 64 * 1024;

    /// <summary>Output chunks queued for one client; a client that falls this far behind is disconnected (it reattaches and gets the recent screen).</summary>
    public int ClientQueueChunks { get; set; } = 256;

    /// <summary>How long one send to a client may take before the client is cut off.</summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
