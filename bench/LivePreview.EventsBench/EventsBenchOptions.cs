namespace LivePreview.EventsBench;

internal sealed class EventsBenchOptions
{
    /// <summary>WebSocket clients, each filtered to its own sandbox; one more, unfiltered, gets everything.</summary>
    public int Clients { get; set; } = 100;

    /// <summary>Events published in each measured run, round-robin over the clients' sandboxes.</summary>
    public int Events { get; set; } = 20_000;

    /// <summary>Concurrent publishers (spread over the instances): many sandboxes publish at once in a real service.</summary>
    public int Publishers { get; set; } = 32;

    /// <summary>Only the configurations whose name contains this (all when null).</summary>
    public string? Only { get; set; }
}

/// <summary>One row of the table: how many instances share the database, whether Redis signals between them, the write batch.</summary>
internal sealed record BenchConfiguration(string Name, int Instances, bool Redis, int WriteBatchSize);
