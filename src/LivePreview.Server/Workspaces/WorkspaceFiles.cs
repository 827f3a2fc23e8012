using LivePreview.Events;
using LivePreview.Sandboxes;
using Microsoft.Extensions.Options;

namespace LivePreview.Workspaces;

/// <summary>
/// The one way files of a sandbox are read and written (API, agents, code panel, restores): path
/// validation, size limits and a FILE_CHANGED / FILE_DELETED event for every change, carrying the
/// change's unified diff (<see cref="FileDiff"/>) and <c>written_at</c>, the server's clock when the change was on disk
/// (the event's own timestamp is when it was stored, which can be later behind a busy event writer; edit-to-paint
/// in PREVIEW_UPDATED counts from <c>written_at</c>).
/// </summary>
public sealed class WorkspaceFiles(ISandboxProvider provider, IEventBus events, IOptions<WorkspaceFilesOptions> options, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public long MaxFileBytes => options.Value.MaxFileBytes;

    public Task<Stream?> OpenReadAsync(string sandboxId, string rawPath, CancellationToken cancellationToken) =>
        provider.Files(sandboxId).OpenReadAsync(WorkspacePath.NormalizeFile(rawPath), cancellationToken);

    public Task<SandboxFileEntry?> StatAsync(string sandboxId, string rawPath, CancellationToken cancellationToken) =>
        provider.Files(sandboxId).StatAsync(WorkspacePath.Normalize(rawPath), cancellationToken);

    public Task<IReadOnlyList<SandboxFileEntry>?> ListAsync(string sandboxId, string? rawDirectory, CancellationToken cancellationToken) =>
        provider.Files(sandboxId).ListAsync(WorkspacePath.Normalize(rawDirectory), cancellationToken);

    /// <summary>Writes the whole file. The content is buffered up to the size limit first, so an oversized body never lands half-written.</summary>
    public async Task<SandboxFileEntry> WriteAsync(string sandboxId, string rawPath, Stream content, string source, CancellationToken cancellationToken) =>
        (await WriteAnnouncedAsync(sandboxId, rawPath, content, source, cancellationToken)).Entry;

    /// <summary><see cref="WriteAsync"/>, also giving the FILE_CHANGED it published (what the browser's word on the edit is matched to, Proxy/PaintFeedback).</summary>
    public async Task<FileWritten> WriteAnnouncedAsync(string sandboxId, string rawPath, Stream content, string source, CancellationToken cancellationToken)
    {
        var path = WorkspacePath.NormalizeFile(rawPath);
        using var buffer = new MemoryStream();
        await CopyLimitedAsync(content, buffer, MaxFileBytes, cancellationToken);
        buffer.Position = 0;
        var files = provider.Files(sandboxId);
        var before = await ReadForDiffAsync(files, path, cancellationToken);
        await files.WriteAsync(path, buffer, cancellationToken);
        var writtenAt = _time.GetUtcNow();
        var after = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        var change = await PublishAsync(sandboxId, path, FileDiff.Compute(path, before, after, options.Value), after.Length, before is null, source, writtenAt);
        var entry = await files.StatAsync(path, cancellationToken) ?? throw new IOException($"'{path}' vanished right after it was written.");
        return new FileWritten(entry, change);
    }

    public async Task<bool> DeleteAsync(string sandboxId, string rawPath, string source, CancellationToken cancellationToken) =>
        await DeleteAnnouncedAsync(sandboxId, rawPath, source, cancellationToken) is not null;

    /// <summary>Deletes one file; the FILE_DELETED it published, or null when there was no file.</summary>
    public async Task<LivePreviewEvent?> DeleteAnnouncedAsync(string sandboxId, string rawPath, string source, CancellationToken cancellationToken)
    {
        var path = WorkspacePath.NormalizeFile(rawPath);
        var files = provider.Files(sandboxId);
        var before = await ReadForDiffAsync(files, path, cancellationToken);
        if (!await files.DeleteAsync(path, cancellationToken))
        {
            return null;
        }
        var deletedAt = _time.GetUtcNow();
        return await PublishAsync(sandboxId, path, FileDiff.Compute(path, before, null, options.Value), null, false, source, deletedAt);
    }

    /// <summary>
    /// Announces a change made by something other than this class (a CLI agent editing the workspace
    /// itself): FILE_CHANGED, or FILE_DELETED when <paramref name="after"/> is null, with the diff
    /// between the two contents. <paramref name="before"/> is null for a new file.
    /// </summary>
    public Task<LivePreviewEvent> PublishChangeAsync(string sandboxId, string path, FileContent? before, ReadOnlyMemory<byte>? after, string source) =>
        PublishAsync(sandboxId, path, FileDiff.Compute(path, before, after, options.Value), after?.Length, before is null, source, _time.GetUtcNow());

    /// <summary>
    /// Announces a change to a file whose new content was too large to read for a diff (see
    /// <see cref="FileContent.TooLarge"/>): FILE_CHANGED with its size and <c>diff_omitted: "too_large"</c>.
    /// </summary>
    public Task<LivePreviewEvent> PublishLargeChangeAsync(string sandboxId, string path, long size, bool created, string source) =>
        PublishAsync(sandboxId, path, new FileDiffResult(null, false, "too_large"), size, created, source, _time.GetUtcNow());

    private Task<LivePreviewEvent> PublishAsync(string sandboxId, string path, FileDiffResult diff, long? size, bool created, string source, DateTimeOffset writtenAt)
    {
        var draft = size is null
            ? new EventDraft(EventTypes.FileDeleted, "file", path, sandboxId,
                new { path, source, diff = diff.Diff, diff_truncated = diff.Truncated, diff_omitted = diff.Omitted, written_at = writtenAt })
            : new EventDraft(EventTypes.FileChanged, "file", path, sandboxId,
                new { path, size = size.Value, source, created, diff = diff.Diff, diff_truncated = diff.Truncated, diff_omitted = diff.Omitted, written_at = writtenAt });
        return events.PublishAsync(draft, CancellationToken.None);
    }

    /// <summary>
    /// The current content of a file for a diff: null when there is no regular file there; an empty,
    /// <see cref="FileContent.TooLarge"/> content when it is bigger than a diff is made of (its bytes are not read).
    /// </summary>
    public async Task<FileContent?> ReadForDiffAsync(ISandboxFileSystem files, string path, CancellationToken cancellationToken)
    {
        await using var stream = await files.OpenReadAsync(path, cancellationToken);
        if (stream is null)
        {
            return null;
        }
        var limit = options.Value.MaxDiffSourceBytes;
        var buffer = new byte[Math.Min(limit + 1, 64 * 1024)];
        using var content = new MemoryStream();
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (content.Length + read > limit)
            {
                return FileContent.TooLarge;
            }
            content.Write(buffer, 0, read);
        }
        return new FileContent(content.ToArray(), false);
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

    /// <summary>Files larger than this (before or after a change) get no diff in their FILE_CHANGED event.</summary>
    public int MaxDiffSourceBytes { get; set; } = 1024 * 1024;

    /// <summary>A FILE_CHANGED event's diff is cut (at a line) to this many bytes.</summary>
    public int MaxDiffBytes { get; set; } = 64 * 1024;
}

/// <summary>A file's bytes as read for a diff; <see cref="TooLarge"/> stands for one too big to read.</summary>
public sealed record FileContent(ReadOnlyMemory<byte> Bytes, bool IsTooLarge)
{
    public static readonly FileContent TooLarge = new(ReadOnlyMemory<byte>.Empty, true);
}

public sealed class FileTooLargeException(long limit) : Exception($"The file is larger than the {limit}-byte limit (LivePreview:Files:MaxFileBytes).")
{
    public long Limit { get; } = limit;
}

/// <param name="Change">The FILE_CHANGED published for the write.</param>
public sealed record FileWritten(SandboxFileEntry Entry, LivePreviewEvent Change);
