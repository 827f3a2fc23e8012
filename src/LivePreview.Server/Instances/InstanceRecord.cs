namespace LivePreview.Instances;

/// <summary><c>Active</c>: beating; <c>Stopped</c>: shut down on purpose (placed on no more); <c>Lost</c>: stopped beating.</summary>
public enum InstanceState { Active, Stopped, Lost }

/// <summary>One instance of the service, as it registered itself in the shared database (<c>instances</c>).</summary>
public sealed class InstanceRecord
{
    public required string Id { get; set; }

    /// <summary>Where the other instances forward requests for its sandboxes.</summary>
    public required string InternalUrl { get; set; }
    public InstanceState State { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset HeartbeatAt { get; set; }

    /// <summary>Its sandboxes (not deleted) at the last beat, and how many it may run (<c>LivePreview:Sandboxes:MaxSandboxes</c>).</summary>
    public int SandboxCount { get; set; }
    public int MaxSandboxes { get; set; }

    /// <summary>The host's available memory at the last beat (MemAvailable), in MiB.</summary>
    public long FreeMemoryMb { get; set; }
}
