namespace LivePreview.EventsBench;

internal sealed class EventsBenchOptions
{
    /// <summary>WebSocket clients, each filtered to its own sandbox; one more, unfiltered, gets everything.</summary>
    public int Clients { get; set; } = 100;

    /// <summary>Events published in the measured run, round-robin over the clients' sandboxes.</summary>
    public int Events { get; set; } = 20_000;

    /// <summary>Concurrent publishers; the bus takes one write at a time, so more only keeps it busy.</summary>
    public int Publishers { get; set; } = 4;
}
