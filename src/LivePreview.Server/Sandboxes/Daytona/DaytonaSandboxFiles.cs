namespace LivePreview.Sandboxes.Daytona;

/// <summary>
/// A Daytona sandbox's workspace through the toolbox's file API. Paths arrive validated; they are checked again lexically
/// (no '..', no absolute path) because the toolbox would follow them anywhere in the sandbox. Symlinks inside the remote
/// sandbox cannot reach this machine: the whole sandbox is on the other side of Daytona's boundary.
/// </summary>
internal sealed class DaytonaSandboxFiles(DaytonaSandboxProvider provider, DaytonaClient client, string sandboxId, string workspace) : ISandboxFileSystem
{
    public async Task<Stream?> OpenReadAsync(string path, CancellationToken cancellationToken) =>
        await client.DownloadFileAsync(await BoxAsync(cancellationToken), Full(path, allowRoot: false), cancellationToken);

    /// <summary>Uploads beside the target and moves it into place, so a reader never sees half a file.</summary>
    public async Task WriteAsync(string path, Stream content, CancellationToken cancellationToken)
    {
        var box = await BoxAsync(cancellationToken);
        var target = Full(path, allowRoot: false);
        var parent = target[..target.LastIndexOf('/')];
        await client.CreateFolderAsync(box, parent, cancellationToken);
        var temp = $"{parent}/.lp-upload-{Guid.NewGuid():N}";
        await client.UploadFileAsync(box, temp, content, cancellationToken);
        await client.MoveFileAsync(box, temp, target, cancellationToken);
    }

    public async Task<bool> DeleteAsync(string path, CancellationToken cancellationToken)
    {
        var box = await BoxAsync(cancellationToken);
        var full = Full(path, allowRoot: false);
        return await client.GetFileInfoAsync(box, full, cancellationToken) is not null && await client.DeleteFileAsync(box, full, cancellationToken);
    }

    public async Task<IReadOnlyList<SandboxFileEntry>?> ListAsync(string directory, CancellationToken cancellationToken)
    {
        var box = await BoxAsync(cancellationToken);
        var full = Full(directory, allowRoot: true);
        var info = await client.GetFileInfoAsync(box, full, cancellationToken);
        if (info is not { IsDir: true })
        {
            return null;
        }
        var entries = await client.ListFilesAsync(box, full, cancellationToken);
        var prefix = Relative(directory);
        return entries?.Select(e => Entry(prefix.Length == 0 ? e.Name : $"{prefix}/{e.Name}", e)).OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
    }

    public async Task<SandboxFileEntry?> StatAsync(string path, CancellationToken cancellationToken)
    {
        var info = await client.GetFileInfoAsync(await BoxAsync(cancellationToken), Full(path, allowRoot: true), cancellationToken);
        return info is null ? null : Entry(Relative(path), info);
    }

    private static SandboxFileEntry Entry(string path, DaytonaFileInfo info) =>
        new(path, info.Name, info.IsDir, info.IsDir ? 0 : info.Size, info.ModifiedAt ?? DateTimeOffset.UnixEpoch);

    private ValueTask<DaytonaToolbox> BoxAsync(CancellationToken cancellationToken) => provider.ToolboxAsync(sandboxId, cancellationToken);

    private string Full(string path, bool allowRoot)
    {
        var relative = Relative(path);
        if (relative.Length == 0 && !allowRoot)
        {
            throw new InvalidWorkspacePathException("The path names the workspace itself, not a file in it.");
        }
        return relative.Length == 0 ? workspace.TrimEnd('/') : $"{workspace.TrimEnd('/')}/{relative}";
    }

    /// <summary>The same lexical rule as the local provider's (absolute, "..", backslashes and control characters refused).</summary>
    private static string Relative(string path) => Local.RelativePath.Normalize(path);
}
