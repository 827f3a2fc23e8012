using LivePreview.Sandboxes;

namespace LivePreview.Agents.Cli;

/// <summary>
/// The installed tools layer, bound read-only into every sandbox at <see cref="SandboxPaths.AgentTools"/>. bubblewrap
/// binds as the sandbox's unprivileged host user, so the layer is offered only when that user can reach it (every
/// folder above it searchable by others, as <c>scripts/setup.sh</c> leaves <c>/opt/livepreview/tools/agents</c>): a
/// layer in a private data directory would otherwise fail every sandbox launch, not only the agents'.
/// </summary>
internal sealed class AgentToolsMount(AgentToolsLayer layer) : ISandboxReadOnlyLayer
{
    public string SandboxPath => SandboxPaths.AgentTools;

    public string? HostDirectory => layer.IsInstalled && IsReachableByOthers(layer.Directory) ? layer.Directory : null;

    /// <summary>Why the layer is not bound, for <see cref="AgentNotConfiguredException"/>; null when it is.</summary>
    public string? Problem => layer.Problem
        ?? (HostDirectory is null
            ? $"The agent tools layer in {layer.Directory} cannot be bound into sandboxes: the sandbox user must be able to read it and enter every folder above it (chmod -R a+rX, or set LivePreview__Agents__Cli__ToolsRoot to a root outside a private folder)."
            : null);

    private static bool IsReachableByOthers(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }
        var current = new DirectoryInfo(directory);
        if ((File.GetUnixFileMode(current.FullName) & (UnixFileMode.OtherRead | UnixFileMode.OtherExecute)) != (UnixFileMode.OtherRead | UnixFileMode.OtherExecute))
        {
            return false;
        }
        for (var parent = current.Parent; parent is not null; parent = parent.Parent)
        {
            if ((File.GetUnixFileMode(parent.FullName) & UnixFileMode.OtherExecute) == 0)
            {
                return false;
            }
        }
        return true;
    }
}
