using LivePreview.Commands;
using System.Text;
using LivePreview.Sandboxes;
using LivePreview.Workspaces;
using Microsoft.Extensions.Options;

namespace LivePreview.Agents;

/// <summary>Hands out the agent's view of one sandbox's files.</summary>
/// <remarks>
/// Without a <see cref="CommandService"/> (unit tests of the file tools) the agent gets no <c>run_command</c>; without an
/// <see cref="IAgentPreviewFeedback"/> its edits' results say nothing of the preview.
/// </remarks>
public sealed class AgentWorkspaceFactory(WorkspaceFiles files, IOptions<AgentOptions> options, CommandService? commands = null,
    IAgentPreviewFeedback? preview = null)
{
    public IAgentWorkspace For(string sandboxId)
    {
        ArgumentException.ThrowIfNullOrEmpty(sandboxId);
        return new AgentWorkspace(files, sandboxId, options.Value, commands, preview);
    }
}

/// <summary>
/// The agent's tools over <see cref="WorkspaceFiles"/>, so every write is validated, size-limited and
/// announced (FILE_CHANGED, source "agent"). Whatever the model got wrong — a path outside the
/// workspace, a missing file, text that does not match — becomes an <see cref="AgentToolException"/>
/// whose message goes back to the model; the disk is not touched.
/// </summary>
internal sealed class AgentWorkspace(WorkspaceFiles files, string sandboxId, AgentOptions options, CommandService? commands = null,
    IAgentPreviewFeedback? preview = null) : IAgentWorkspace
{
    /// <summary>The sequence of the last edit's FILE_CHANGED / FILE_DELETED (0: none yet).</summary>
    private long _lastEdit;

    public bool CanRunCommands => commands is not null;

    public Task<string?> PreviewAfterLastEditAsync(CancellationToken cancellationToken)
    {
        var edit = Interlocked.Read(ref _lastEdit);
        return preview is null || edit == 0 ? Task.FromResult<string?>(null) : preview.AfterEditAsync(sandboxId, edit, cancellationToken);
    }

    /// <summary>The sandbox is the agent's own (its session's); what the model got wrong goes back to it as a message.</summary>
    public async Task<AgentCommandResult> RunCommandAsync(IReadOnlyList<string> command, string? cwd, int? timeoutSeconds, CancellationToken cancellationToken)
    {
        if (commands is null)
        {
            throw new AgentToolException("Running commands is not available in this workspace.");
        }
        try
        {
            var (record, tail) = await commands.RunToEndAsync(sandboxId, new CommandRequest(command, cwd, null, timeoutSeconds), options.CommandOutputTailChars, cancellationToken);
            return new AgentCommandResult(record.Id, CommandService.Status(record.Status), record.ExitCode, commands.DurationMs(record), tail);
        }
        catch (Exception e) when (e is InvalidCommandException or CommandLimitException)
        {
            throw new AgentToolException(e.Message);
        }
        catch (InvalidOperationException e)
        {
            // The sandbox is not attached (stopped under the turn).
            throw new AgentToolException($"The command could not start: {e.Message}");
        }
    }

    public const string Source = "agent";

    /// <summary>Dependencies, VCS data and build output: noise to a model, and too large to list.</summary>
    internal static readonly HashSet<string> SkippedDirectories = new(StringComparer.Ordinal) { "node_modules", ".git", ".next", "dist", ".vite", ".livepreview" };

    /// <summary>Folders the agent may not write into: the shared dependencies, the checkpoint history and our own state.</summary>
    private static readonly HashSet<string> ProtectedDirectories = new(StringComparer.Ordinal) { "node_modules", ".git", ".livepreview" };

    public Task<IReadOnlyList<string>> ListFilesAsync(string? directory, CancellationToken cancellationToken) =>
        Guarded(() => ListAsync(WorkspacePath.Normalize(directory), cancellationToken));

    public Task<string> ReadFileAsync(string path, CancellationToken cancellationToken) =>
        Guarded(() => ReadAsync(WorkspacePath.NormalizeFile(path), cancellationToken));

    public Task WriteFileAsync(string path, string content, CancellationToken cancellationToken) =>
        Guarded(() => WriteAsync(Writable(path), content, cancellationToken));

    public Task ReplaceTextAsync(string path, string oldText, string newText, CancellationToken cancellationToken) =>
        Guarded(() => ReplaceAsync(Writable(path), oldText, newText, cancellationToken));

    public Task DeleteFileAsync(string path, CancellationToken cancellationToken) =>
        Guarded(() => DeleteAsync(Writable(path), cancellationToken));

    private async Task<IReadOnlyList<string>> ListAsync(string root, CancellationToken cancellationToken)
    {
        var found = new List<string>();
        var pending = new Queue<string>([root]);
        // Breadth first, so a listing cut at the limit still shows the top of the project.
        while (found.Count < options.MaxListedFiles && pending.TryDequeue(out var directory))
        {
            var entries = await files.ListAsync(sandboxId, directory, cancellationToken);
            if (entries is null && directory == root)
            {
                throw new AgentToolException($"There is no directory '{root}'. Call list_files without a directory to see the whole project.");
            }
            foreach (var entry in entries ?? [])
            {
                if (entry.IsDirectory && !SkippedDirectories.Contains(entry.Name))
                {
                    pending.Enqueue(entry.Path);
                }
                else if (!entry.IsDirectory && found.Count < options.MaxListedFiles)
                {
                    found.Add(entry.Path);
                }
            }
        }
        found.Sort(StringComparer.Ordinal);
        return found;
    }

    private async Task<string> ReadAsync(string path, CancellationToken cancellationToken)
    {
        var entry = await files.StatAsync(sandboxId, path, cancellationToken) ?? throw NotFound(path);
        if (entry.IsDirectory)
        {
            throw new AgentToolException($"'{path}' is a directory; use list_files to see what it holds.");
        }
        await using var stream = await files.OpenReadAsync(sandboxId, path, cancellationToken) ?? throw NotFound(path);
        var bytes = await ReadLimitedAsync(stream, options.MaxReadBytes, cancellationToken)
            ?? throw new AgentToolException($"'{path}' is larger than the {options.MaxReadBytes}-byte limit of read_file; leave it alone or replace it whole with write_file.");
        return Array.IndexOf(bytes, (byte)0) >= 0
            ? throw new AgentToolException($"'{path}' is a binary file; only text files can be read.")
            : Encoding.UTF8.GetString(bytes);
    }

    private async Task WriteAsync(string path, string content, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream(Encoding.UTF8.GetBytes(content));
        var written = await files.WriteAnnouncedAsync(sandboxId, path, body, Source, cancellationToken);
        Interlocked.Exchange(ref _lastEdit, written.Change.Sequence);
    }

    private async Task ReplaceAsync(string path, string oldText, string newText, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(oldText))
        {
            throw new AgentToolException("old_text is empty. Copy the exact text to change from the file; to write a whole file use write_file.");
        }
        var content = await ReadAsync(path, cancellationToken);
        var count = CountOccurrences(content, oldText);
        if (count != 1)
        {
            throw new AgentToolException(count == 0
                ? $"old_text was not found in '{path}'. Read the file again with read_file and copy old_text exactly, including spaces, indentation and line breaks."
                : $"old_text occurs {count} times in '{path}'; it must occur exactly once. Include more of the surrounding lines so that it is unique.");
        }
        var index = content.IndexOf(oldText, StringComparison.Ordinal);
        await WriteAsync(path, string.Concat(content.AsSpan(0, index), newText, content.AsSpan(index + oldText.Length)), cancellationToken);
    }

    private async Task DeleteAsync(string path, CancellationToken cancellationToken)
    {
        var entry = await files.StatAsync(sandboxId, path, cancellationToken) ?? throw NotFound(path);
        if (entry.IsDirectory)
        {
            throw new AgentToolException($"'{path}' is a directory; delete_file deletes one file at a time.");
        }
        var deleted = await files.DeleteAnnouncedAsync(sandboxId, path, Source, cancellationToken) ?? throw NotFound(path);
        Interlocked.Exchange(ref _lastEdit, deleted.Sequence);
    }

    private static string Writable(string raw)
    {
        var path = WorkspacePath.NormalizeFile(raw);
        var protectedSegment = path.Split('/').FirstOrDefault(ProtectedDirectories.Contains);
        return protectedSegment is null
            ? path
            : throw new AgentToolException($"'{path}' is inside {protectedSegment}/, which the agent may not change.");
    }

    private static int CountOccurrences(string content, string value)
    {
        var count = 0;
        for (var at = content.IndexOf(value, StringComparison.Ordinal); at >= 0; at = content.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }

    private static async Task<byte[]?> ReadLimitedAsync(Stream stream, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static AgentToolException NotFound(string path) =>
        new($"'{path}' does not exist. Use list_files to see the project's files.");

    private static Task Guarded(Func<Task> operation) => Guarded(async () =>
    {
        await operation();
        return true;
    });

    /// <summary>The model's mistakes become messages for the model; anything else (a broken sandbox) fails the turn.</summary>
    private static async Task<T> Guarded<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation();
        }
        catch (InvalidWorkspacePathException e)
        {
            throw new AgentToolException(e.Message);
        }
        catch (FileTooLargeException e)
        {
            throw new AgentToolException(e.Message);
        }
    }
}
