namespace LivePreview.Sandboxes;

/// <summary>Where things are as a sandbox's processes see them (the same in every provider).</summary>
public static class SandboxPaths
{
    /// <summary>The workspace: what the dev server serves, checkpoints and exports hold.</summary>
    public const string Workspace = "/app";

    /// <summary>
    /// A persistent HOME of the sandbox, outside the workspace: it survives stop/start and service restarts (an agent's
    /// settings and session transcripts live there) but is not served, checkpointed or exported.
    /// </summary>
    public const string Home = "/home/sandbox";

    /// <summary>The CLI agents' tools layer, bound read-only when the service has one (<see cref="ISandboxReadOnlyLayer"/>).</summary>
    public const string AgentTools = "/opt/livepreview/agents";
}

/// <summary>
/// A host folder bound read-only into every process of every sandbox (the CLI agents' tools layer). The provider binds it
/// only while <see cref="HostDirectory"/> is non-null, so a missing layer never stops a sandbox from starting.
/// </summary>
public interface ISandboxReadOnlyLayer
{
    /// <summary>Where the sandbox sees it.</summary>
    string SandboxPath { get; }

    /// <summary>The host folder; null when there is none to bind (not installed, or not readable by the sandbox's host user).</summary>
    string? HostDirectory { get; }
}
