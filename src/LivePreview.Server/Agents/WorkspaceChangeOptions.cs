namespace LivePreview.Agents;

/// <summary>
/// How the edits of agents that change the workspace themselves (CLI agents) are found and announced
/// (section <c>LivePreview:Agents:WorkspaceChanges</c>); see <see cref="WorkspaceChangeTracker"/>.
/// </summary>
public sealed class WorkspaceChangeOptions
{
    public const string Section = "LivePreview:Agents:WorkspaceChanges";

    /// <summary>Most files and folders a turn looks at; past it, further files are neither recorded nor announced.</summary>
    public int MaxFiles { get; set; } = 5000;

    /// <summary>Most bytes of file content a turn keeps to diff against; files past it are announced without a diff.</summary>
    public long MaxTotalBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>Folder names skipped at any depth: dependencies, build output, caches, version control (by default those the chat agent's file tools skip).</summary>
    public string[] ExcludedDirectories { get; set; } = [.. AgentWorkspace.SkippedDirectories];

    internal bool IsValid() => MaxFiles > 0 && MaxTotalBytes >= 0 && ExcludedDirectories is not null;
}
