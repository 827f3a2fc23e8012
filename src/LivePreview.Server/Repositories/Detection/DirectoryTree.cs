using LivePreview.Sandboxes;
using LivePreview.Sandboxes.Local;
using Microsoft.Win32.SafeHandles;

namespace LivePreview.Repositories.Detection;

/// <summary>
/// A host folder whose content is hostile (a checkout the host made of a user's repository). Every path is opened by
/// the kernel beneath the folder with no symlink allowed in any component (openat2 RESOLVE_BENEATH |
/// RESOLVE_NO_SYMLINKS, <see cref="WorkspaceRoot.TryOpenWithoutLinks"/>): a link is treated as absent, even one that
/// would stay inside, so nothing the repository plants can make the host read elsewhere. Reads are bounded and a FIFO
/// never blocks (O_NONBLOCK, then refused as not a regular file).
/// </summary>
internal sealed class DirectoryTree(string root) : IRepositoryTree
{
    public string Root { get; } = root;

    public async Task<string?> ReadTextAsync(string relativePath, int maxBytes, CancellationToken cancellationToken)
    {
        await using var stream = OpenRegular(relativePath, maxBytes);
        return stream is null ? null : await BoundedText.ReadAllAsync(stream, relativePath, maxBytes, cancellationToken);
    }

    public async Task<string?> ReadHeadAsync(string relativePath, int maxBytes, CancellationToken cancellationToken)
    {
        await using var stream = OpenRegular(relativePath, maxBytes: int.MaxValue);
        return stream is null ? null : await BoundedText.ReadHeadAsync(stream, maxBytes, cancellationToken);
    }

    public Task<IReadOnlyList<string>> ListDirectoriesAsync(string relativePath, CancellationToken cancellationToken)
    {
        using var root = WorkspaceRoot.OpenFolder(Root);
        using var directory = TryOpen(root, relativePath, LibC.O_RDONLY | LibC.O_DIRECTORY);
        if (directory is null)
        {
            return Task.FromResult<IReadOnlyList<string>>([]);
        }
        var names = new List<string>();
        foreach (var name in WorkspaceRoot.EntryNames(directory))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (WorkspaceRoot.StatEntry(directory, name) is { IsDirectory: true })
            {
                names.Add(name);
            }
        }
        names.Sort(StringComparer.Ordinal);
        return Task.FromResult<IReadOnlyList<string>>(names);
    }

    public Task<bool> FileExistsAsync(string relativePath, CancellationToken cancellationToken)
    {
        using var root = WorkspaceRoot.OpenFolder(Root);
        using var file = TryOpen(root, relativePath, LibC.O_PATH);
        return Task.FromResult(file is not null && WorkspaceRoot.Stat(file) is { Type: FileStatus.Regular });
    }

    private FileStream? OpenRegular(string relativePath, int maxBytes)
    {
        using var root = WorkspaceRoot.OpenFolder(Root);
        var file = TryOpen(root, relativePath, LibC.O_RDONLY | LibC.O_NONBLOCK);
        if (file is null || WorkspaceRoot.Stat(file) is not { Type: FileStatus.Regular } status || status.Size > maxBytes)
        {
            file?.Dispose();
            return null;
        }
        return new FileStream(file, FileAccess.Read, bufferSize: 0);
    }

    /// <summary>Null for a missing path and for one through a link (ELOOP/EXDEV): neither is a file of the tree.</summary>
    private static SafeFileHandle? TryOpen(WorkspaceRoot root, string relativePath, int flags)
    {
        try
        {
            return root.TryOpenWithoutLinks(RelativePath.Normalize(relativePath), flags);
        }
        catch (InvalidWorkspacePathException)
        {
            return null;
        }
    }
}
