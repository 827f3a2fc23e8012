namespace LivePreview.Agents.Cli;

/// <summary>The CLI agents, Claude Code and OpenCode (section <c>LivePreview:Agents:Cli</c>).</summary>
public sealed class CliAgentOptions
{
    public const string Section = "LivePreview:Agents:Cli";

    /// <summary>
    /// Folder holding one tools layer per pinned lock file (<c>&lt;root&gt;/&lt;hash&gt;/node_modules</c>); null means
    /// <c>$LIVEPREVIEW_AGENT_TOOLS_ROOT</c>, else <see cref="DefaultToolsRoot"/>: where <c>scripts/setup.sh</c> installs,
    /// so <c>./run.sh</c>, the tests and a published build on a machine set up by it all find the same layer. It must be
    /// readable by the sandbox user (bound into sandboxes), so not under a private data directory.
    /// </summary>
    public string? ToolsRoot { get; set; }

    /// <summary>The tools root of <c>scripts/setup.sh</c> when <c>LIVEPREVIEW_AGENT_TOOLS_ROOT</c> is not set.</summary>
    public const string DefaultToolsRoot = "/opt/livepreview/tools/agents";

    /// <summary>The variable <c>scripts/setup.sh</c> reads for its tools root; the service reads the same one.</summary>
    public const string ToolsRootVariable = "LIVEPREVIEW_AGENT_TOOLS_ROOT";

    /// <summary>Install the tools layer in the background at start when it is missing (about 600 MB from the npm registry).</summary>
    public bool InstallOnStart { get; set; }

    public string NpmCommand { get; set; } = "npm";

    /// <summary>Longest the tools layer's <c>npm ci</c> may take.</summary>
    public TimeSpan InstallTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Claude Code's <c>--permission-mode</c>. "acceptEdits" lets it edit the workspace freely (the sandbox is
    /// the boundary) and routes every other permission prompt to the QUESTION flow; "default" asks for edits too.
    /// </summary>
    public string ClaudeCodePermissionMode { get; set; } = "acceptEdits";

    /// <summary>
    /// What OpenCode's <c>bash</c> permission is: "ask" (default) sends each command it wants to run to the QUESTION
    /// flow first, like Claude Code's prompts under "acceptEdits"; "allow" runs every command without asking (the
    /// sandbox is the boundary). Edits are always allowed, web fetches always denied.
    /// </summary>
    public string OpenCodeBashPermission { get; set; } = "ask";

    /// <summary>The model Claude Code gets when the session names none; null takes LivePreview:Agents:Anthropic:Model.</summary>
    public string? ClaudeCodeModel { get; set; }

    /// <summary>After an interrupt, how long the CLI may take to stop its turn before it is killed.</summary>
    public TimeSpan InterruptGrace { get; set; } = TimeSpan.FromSeconds(10);

    internal static readonly string[] PermissionModes = ["default", "acceptEdits", "plan", "bypassPermissions"];

    internal static readonly string[] OpenCodeBashPermissions = ["ask", "allow"];

    internal bool IsValid() =>
        InstallTimeout > TimeSpan.Zero && InterruptGrace > TimeSpan.Zero && !string.IsNullOrWhiteSpace(NpmCommand)
        && PermissionModes.Contains(ClaudeCodePermissionMode, StringComparer.Ordinal)
        && OpenCodeBashPermissions.Contains(OpenCodeBashPermission, StringComparer.Ordinal);
}
