using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.Extensions.AI;

namespace LivePreview.Agents;

/// <summary>
/// The agent's five tools as <see cref="AIFunction"/>s over one <see cref="IAgentWorkspace"/>. Small
/// local models do best with whole-file writes, frontier models with exact replacements; the
/// descriptions steer each to what it does well. Parameter names are snake_case because they are
/// the wire schema the model sees.
/// </summary>
[SuppressMessage("Style", "IDE1006:Naming Styles", Justification = "Parameter names are the tools' JSON schema.")]
internal sealed partial class AgentTools
{
    public const string ListFiles = "list_files";
    public const string ReadFile = "read_file";
    public const string WriteFile = "write_file";
    public const string ReplaceText = "replace_text";
    public const string DeleteFile = "delete_file";
    public const string RunCommand = "run_command";
    public const string AskUserTool = "ask_user";

    private readonly IAgentWorkspace _workspace;
    private readonly int _maxListedFiles;
    private readonly int _maxEventArgumentChars;
    private readonly AskUser? _askUser;
    private readonly bool _tellPreview;

    /// <param name="askUser">Where <c>ask_user</c> goes; without it the tool is not offered (nobody could answer).</param>
    /// <param name="tellPreview">Whether an edit's result waits for, and says, what the browser saw of it (<see cref="IAgentWorkspace.PreviewAfterLastEditAsync"/>).</param>
    public AgentTools(IAgentWorkspace workspace, AgentOptions options, AskUser? askUser = null, bool tellPreview = true)
    {
        _workspace = workspace;
        _askUser = askUser;
        _tellPreview = tellPreview;
        _maxListedFiles = options.MaxListedFiles;
        _maxEventArgumentChars = options.MaxEventArgumentChars;
        Functions =
        [
            Create(ListFilesAsync, ListFiles,
                "Lists the project's files as paths relative to the project root, one per line (node_modules, .git and build output are left out). Use it first to find your way around."),
            Create(ReadFileAsync, ReadFile,
                "Returns the complete text of one file. Read a file before you change it, and again after an edit fails."),
            Create(WriteFileAsync, WriteFile,
                "Creates a file, or replaces everything in it. Send the COMPLETE new content of the file, never a fragment, a diff or '...': what you send becomes the whole file. Parent folders are created. Best for new files and small files."),
            Create(ReplaceTextAsync, ReplaceText,
                "Changes part of a file: replaces old_text with new_text. old_text must be copied exactly from the file (same spaces, indentation and line breaks) and must occur exactly once; include a few neighbouring lines to make it unique. Best for small changes to existing files."),
            Create(DeleteFileAsync, DeleteFile, "Deletes one file."),
            .. workspace.CanRunCommands
                ? [Create(RunCommandAsync, RunCommand,
                    "Runs a program in the project's sandbox and waits for it to end, such as [\"npm\", \"test\"] or [\"npx\", \"tsc\", \"--noEmit\"]. The command is a list of arguments, not a shell line: for pipes or &&, send [\"sh\", \"-c\", \"...\"]. Returns the exit code and the end of its output.")]
                : Array.Empty<AIFunction>(),
            .. askUser is not null
                ? [Create(AskUserAsync, AskUserTool,
                    "Asks the user a question and waits for the answer, which is this tool's result. Ask only when the request leaves a choice open that changes what you build (which of two designs, a name, a colour); otherwise decide yourself. Offer choices when the answer is one of a few.")]
                : Array.Empty<AIFunction>(),
        ];
    }

    public IReadOnlyList<AIFunction> Functions { get; }

    private async Task<ToolResult> ListFilesAsync(
        [Description("Only list below this folder, such as 'src'. Leave empty for the whole project.")] string? directory = null,
        CancellationToken cancellationToken = default)
    {
        var paths = await _workspace.ListFilesAsync(directory, cancellationToken);
        var text = paths.Count == 0 ? "(no files)" : string.Join('\n', paths);
        if (paths.Count >= _maxListedFiles)
        {
            text += $"\n(stopped at {_maxListedFiles} files; list a folder to see more)";
        }
        return new ToolResult(text, $"Listed {paths.Count} files");
    }

    private async Task<ToolResult> ReadFileAsync(
        [Description("Path of the file relative to the project root, such as 'src/App.tsx'.")] string path,
        CancellationToken cancellationToken = default)
    {
        var content = await _workspace.ReadFileAsync(path, cancellationToken);
        return new ToolResult(content, $"Read {path} ({Size(content)})");
    }

    private async Task<ToolResult> WriteFileAsync(
        [Description("Path of the file relative to the project root, such as 'src/components/Navbar.tsx'.")] string path,
        [Description("The complete new content of the file.")] string content,
        CancellationToken cancellationToken = default)
    {
        await _workspace.WriteFileAsync(path, content ?? throw Missing("content", "the complete text of the file"), cancellationToken);
        return await WithPreviewAsync(new ToolResult($"Wrote {path} ({Size(content)}).", $"Wrote {path} ({Size(content)})"), cancellationToken);
    }

    private async Task<ToolResult> ReplaceTextAsync(
        [Description("Path of the file relative to the project root, such as 'src/App.tsx'.")] string path,
        [Description("The exact text to replace, copied from the file; it must occur exactly once.")] string old_text,
        [Description("The text to put in its place.")] string new_text,
        CancellationToken cancellationToken = default)
    {
        await _workspace.ReplaceTextAsync(path, old_text ?? throw Missing("old_text", "the exact text to replace"),
            new_text ?? throw Missing("new_text", "the replacement (empty to delete)"), cancellationToken);
        return await WithPreviewAsync(new ToolResult($"Replaced the text in {path}.", $"Edited {path}"), cancellationToken);
    }

    private async Task<ToolResult> DeleteFileAsync(
        [Description("Path of the file relative to the project root.")] string path,
        CancellationToken cancellationToken = default)
    {
        await _workspace.DeleteFileAsync(path, cancellationToken);
        return await WithPreviewAsync(new ToolResult($"Deleted {path}.", $"Deleted {path}"), cancellationToken);
    }

    /// <summary>An edit's result with what the browser saw of it (painted in N ms, the page's errors), when the workspace can tell.</summary>
    private async Task<ToolResult> WithPreviewAsync(ToolResult result, CancellationToken cancellationToken) =>
        _tellPreview && await _workspace.PreviewAfterLastEditAsync(cancellationToken) is { Length: > 0 } preview
            ? result with { ForModel = result.ForModel + "\n" + preview }
            : result;

    private async Task<ToolResult> RunCommandAsync(
        [Description("The program and its arguments, such as [\"npm\", \"test\"].")] string[] command,
        [Description("Working directory: /app (the project root, the default) or a folder under it.")] string? cwd = null,
        [Description("Seconds before the command is killed; leave empty for the default.")] int? timeout_seconds = null,
        CancellationToken cancellationToken = default)
    {
        if (command is not { Length: > 0 })
        {
            throw Missing("command", "the program and its arguments as a list, such as [\"npm\", \"test\"]");
        }
        var result = await _workspace.RunCommandAsync(command, cwd, timeout_seconds, cancellationToken);
        var exit = result.ExitCode is { } code ? code.ToString(CultureInfo.InvariantCulture) : "none";
        var text = $"status: {result.Status}\nexit code: {exit}\nduration: {result.DurationMs} ms\noutput:\n{result.OutputTail}";
        return new ToolResult(text, $"Ran {string.Join(' ', command)}: {result.Status}, exit code {exit}");
    }

    private static AIFunction Create(Delegate method, string name, string description) =>
        AIFunctionFactory.Create(method, new AIFunctionFactoryOptions
        {
            Name = name,
            Description = description,
            // The invoker needs the summary and path as well as the text for the model: keep the object.
            MarshalResult = (result, _, _) => ValueTask.FromResult(result),
        });

    private static AgentToolException Missing(string parameter, string what) => new($"{parameter} is required: {what}.");

    private static string Size(string content)
    {
        var bytes = System.Text.Encoding.UTF8.GetByteCount(content);
        return bytes < 1024 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KB");
    }
}

/// <param name="ForModel">What the model is told.</param>
/// <param name="Summary">One line for people.</param>
internal sealed record ToolResult(string ForModel, string Summary);
