namespace LivePreview.Agents;

/// <summary>
/// One coding agent behind one interface: chat models (Anthropic, OpenAI-compatible servers), CLI
/// agents later, and the replay adapter. A turn takes a prompt and a workspace and streams what the
/// agent does; every file edit goes through <see cref="IAgentWorkspace"/> the moment the tool call
/// completes, so HMR starts while the agent is still working.
/// </summary>
public interface IAgentAdapter
{
    /// <summary>The name sessions choose it by: "anthropic", "openai", "replay", …</summary>
    string Name { get; }

    /// <summary>
    /// True for agents that edit the workspace themselves (CLI agents running inside the sandbox) rather than through
    /// <see cref="IAgentWorkspace"/>: their edits are found and announced by <see cref="WorkspaceChangeTracker"/>. False
    /// for adapters whose writes go through <see cref="IAgentWorkspace"/>, which announces each one already.
    /// </summary>
    bool EditsWorkspaceDirectly => false;

    /// <summary>Whether the adapter can run with the current configuration, and if not, exactly what to set.</summary>
    AgentAvailability CheckAvailability(string? model);

    /// <summary>
    /// Runs one turn. It ends with exactly one <see cref="AgentTurnCompleted"/> or <see cref="AgentFailed"/>:
    /// a model, network or configuration failure is reported as <see cref="AgentFailed"/>, never thrown.
    /// Cancelling the token interrupts the agent and throws <see cref="OperationCanceledException"/>.
    /// </summary>
    IAsyncEnumerable<AgentEvent> RunTurnAsync(AgentTurn turn, CancellationToken cancellationToken);
}

public sealed record AgentAvailability(bool Available, string? Problem)
{
    public static AgentAvailability Ready { get; } = new(true, null);

    public static AgentAvailability Missing(string whatToSet) => new(false, whatToSet);
}

/// <param name="Prompt">The user's prompt for this turn.</param>
/// <param name="History">Earlier turns of the session, oldest first.</param>
/// <param name="Feedback">Build and runtime errors from the preview to fix (empty on a normal turn).</param>
/// <param name="ResumeToken">
/// What the adapter said in its last <see cref="AgentSessionState"/> of this session, or null for a first turn:
/// a CLI agent keeps its own conversation (Claude Code's session id), so a new turn continues it instead of
/// replaying <paramref name="History"/>. Chat adapters ignore it.
/// </param>
/// <param name="Questions">
/// Where the agent's questions to the user go (the QUESTION flow, under <paramref name="SessionId"/>: an agent
/// session's or a prototype session's); null when nobody can answer, and then chat adapters offer no <c>ask_user</c> tool.
/// </param>
public sealed record AgentTurn(
    string SessionId,
    string SandboxId,
    string Framework,
    string Prompt,
    string? Model,
    IReadOnlyList<AgentMessage> History,
    IReadOnlyList<string> Feedback,
    IAgentWorkspace Workspace,
    string? ResumeToken = null,
    Cli.IAgentQuestions? Questions = null);

public sealed record AgentMessage(string Role, string Text);

/// <summary>The agent's tools, bound to one sandbox. Implementations go through WorkspaceFiles (validation, events, limits).</summary>
public interface IAgentWorkspace
{
    Task<IReadOnlyList<string>> ListFilesAsync(string? directory, CancellationToken cancellationToken);

    Task<string> ReadFileAsync(string path, CancellationToken cancellationToken);

    Task WriteFileAsync(string path, string content, CancellationToken cancellationToken);

    /// <summary>Replaces <paramref name="oldText"/>, which must occur exactly once, with <paramref name="newText"/>.</summary>
    /// <exception cref="AgentToolException">No match or several matches; the message is meant for the model.</exception>
    Task ReplaceTextAsync(string path, string oldText, string newText, CancellationToken cancellationToken);

    Task DeleteFileAsync(string path, CancellationToken cancellationToken);

    /// <summary>
    /// What the browser saw of the last write, replace or delete (<see cref="IAgentPreviewFeedback"/>): waits a bounded
    /// time for the preview's report. Null when this workspace cannot tell (no previews here, switched off, no edit yet).
    /// </summary>
    Task<string?> PreviewAfterLastEditAsync(CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    /// <summary>Whether <see cref="RunCommandAsync"/> works here; the <c>run_command</c> tool is offered only then.</summary>
    bool CanRunCommands => false;

    /// <summary>Runs an argument list in the sandbox to its end (through the commands service: recorded, bounded, COMMAND_* events).</summary>
    /// <exception cref="AgentToolException">The command cannot be run as asked; the message is meant for the model.</exception>
    Task<AgentCommandResult> RunCommandAsync(IReadOnlyList<string> command, string? cwd, int? timeoutSeconds, CancellationToken cancellationToken) =>
        throw new AgentToolException("Running commands is not available in this workspace.");
}

/// <param name="OutputTail">The end of the command's merged stdout and stderr, bounded by <see cref="AgentOptions.CommandOutputTailChars"/>.</param>
public sealed record AgentCommandResult(string CommandId, string Status, int? ExitCode, long DurationMs, string OutputTail);

/// <summary>A tool call the model got wrong; the message goes back to the model so it can correct itself.</summary>
public sealed class AgentToolException(string message) : Exception(message);

/// <summary>The chosen agent cannot run; the message says what to configure.</summary>
public sealed class AgentNotConfiguredException(string message) : Exception(message);

/// <summary>What an agent does during a turn, in order.</summary>
public abstract record AgentEvent;

public sealed record AgentTextDelta(string Text) : AgentEvent;

/// <param name="ArgumentsJson">The arguments as JSON; long strings (a written file's content) are shortened to keep events small.</param>
/// <param name="Path">The normalized workspace path the call is about, when it names a valid one.</param>
public sealed record AgentToolCalled(string Tool, string ArgumentsJson, string? Path = null) : AgentEvent;

/// <summary>The tool call has finished: a write is on disk (and HMR under way) before this event is seen.</summary>
/// <param name="Summary">One line for people ("Wrote src/App.tsx (1.2 KB)"), or the error the model was sent.</param>
public sealed record AgentToolCompleted(string Tool, bool Succeeded, string Summary, string? Path) : AgentEvent;

public sealed record AgentFailed(string Message) : AgentEvent;

/// <summary>
/// The agent's own conversation handle, sent as soon as the agent has one (before any tool call, so an
/// interrupted turn has it too): keep it with the session and pass it as <see cref="AgentTurn.ResumeToken"/> next turn.
/// </summary>
public sealed record AgentSessionState(string ResumeToken) : AgentEvent;

public sealed record AgentTurnCompleted(string? Summary, long? InputTokens, long? OutputTokens) : AgentEvent;
