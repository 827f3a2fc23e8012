using LivePreview.Sandboxes;

namespace LivePreview.Agents.Cli;

/// <summary>The agents' tools layer bound read-only into every sandbox at <see cref="SandboxPaths.AgentTools"/> (<see cref="ToolsLayerMount"/>).</summary>
internal sealed class AgentToolsMount(AgentToolsLayer layer) : ToolsLayerMount(layer);
