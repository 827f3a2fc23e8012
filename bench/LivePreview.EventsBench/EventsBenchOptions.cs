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

/// <summary>The event store: one SQLite file (shared by the instances), or one PostgreSQL database (a fresh one per configuration).</summary>
internal enum BenchDatabase
{
    Sqlite,
    PostgreSql,
}

/// <summary>One row of the table: the database, how many instances share it, whether Redis signals between them, the write batch.</summary>
internal sealed record BenchConfiguration(string Name, BenchDatabase Database, int Instances, bool Redis, int WriteBatchSize);
