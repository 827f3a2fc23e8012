using LivePreview.Events;
using LivePreview.Sandboxes;
using Microsoft.Extensions.Options;

namespace LivePreview.Workspaces;

/// <summary>
/// The one way files of a sandbox are read and written (API, agents, code panel, restores): path
/// validation, size limits and a FILE_CHANGED / FILE_DELETED event for every change.
/// </summary>
public sealed class WorkspaceFiles(ISandboxProvider provider, IEventBus events, IOptions<WorkspaceFilesOptions> options)
{
    public long MaxFileBytes => options.Value.MaxFileBytes;

    public Task<Stream?> OpenReadAsync(string sandboxId, string rawPath, CancellationToken cancellationToken) =>
        provider.Files(sandboxId).OpenReadAsync(WorkspacePath.NormalizeFile(rawPath), cancellationToken);

    public Task<SandboxFileEntry?> StatAsync(string sandboxId, string rawPath, CancellationToken cancellationToken) =>
        provider.Files(sandboxId).StatAsync(WorkspacePath.Normalize(rawPath), cancellationToken);

    public Task<IReadOnlyList<SandboxFileEntry>?> ListAsync(string sandboxId, string? rawDirectory, CancellationToken cancellationToken) =>
        provider.Files(sandboxId).ListAsync(WorkspacePath.Normalize(rawDirectory), cancellationToken);

    /// <summary>Writes the whole file. The content is buffered up to the size limit first, so an oversized body never lands half-written.</summary>
    public async Task<SandboxFileEntry> WriteAsync(string sandboxId, string rawPath, Stream content, string source, CancellationToken cancellationToken)
    {
        var path = WorkspacePath.NormalizeFile(rawPath);
        using var buffer = new MemoryStream();
        await CopyLimitedAsync(content, buffer, MaxFileBytes, cancellationToken);
        buffer.Position = 0;
        var files = provider.Files(sandboxId);
        await files.WriteAsync(path, buffer, cancellationToken);
        await events.PublishAsync(new EventDraft(EventTypes.FileChanged, "file", path, sandboxId, new { path, size = buffer.Length, source }), CancellationToken.None);
        return await files.StatAsync(path, cancellationToken) ?? throw new IOException($"'{path}' vanished right after it was written.");
    }

    public async Task<bool> DeleteAsync(string sandboxId, string rawPath, string source, CancellationToken cancellationToken)
    {
        var path = WorkspacePath.NormalizeFile(rawPath);
        if (!await provider.Files(sandboxId).DeleteAsync(path, cancellationToken))
        {
            return false;
        }
        await events.PublishAsync(new EventDraft(EventTypes.FileDeleted, "file", path, sandboxId, new { path, source }), CancellationToken.None);
        return true;
    }

    private static async Task CopyLimitedAsync(Stream source, Stream destination, long limit, CancellationToken cancellationToken)
    {
        var chunk = new byte[81920];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(chunk, cancellationToken)) > 0)
        {
            total += read;
            if (total > limit)
            {
                throw new FileTooLargeException(limit);
            }
            await destination.WriteAsync(chunk.AsMemory(0, read), cancellationToken);
        }
    }
}

public sealed class WorkspaceFilesOptions
{
    public const string Section = "LivePreview:Files";

    /// <summary>Largest file accepted by a write, in bytes.</summary>
    public long MaxFileBytes { get; set; } = 10 * 1024 * 1024;
}

public sealed class FileTooLargeException(long limit) : Exception($"The file is larger than the {limit}-byte limit (LivePreview:Files:MaxFileBytes).")
{
    public long Limit { get; } = limit;
}
