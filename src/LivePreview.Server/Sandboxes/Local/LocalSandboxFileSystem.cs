using Microsoft.Win32.SafeHandles;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// Host-side file I/O on a sandbox's merged overlay. Files and folders created here are handed to the
/// sandbox's host user right after they are made (fchown of the new file's own descriptor, fchownat
/// of the new folder's entry without following a link), so code inside can edit them; what the
/// sandbox writes is that user's, which the service (root) can edit in turn.
/// </summary>
internal sealed class LocalSandboxFileSystem(string merged, string sandboxId, SandboxOwner owner) : ISandboxFileSystem
{
    private const string TemporaryPrefix = ".lp-write-";
    private const uint NewFileMode = 0b110_100_100; // 0644
    private const uint NewDirectoryMode = 0b111_101_101; // 0755

    public Task<Stream?> OpenReadAsync(string path, CancellationToken cancellationToken)
    {
        var normalized = RelativePath.Normalize(path);
        using var root = WorkspaceRoot.Open(merged, sandboxId);
        // O_NONBLOCK: a FIFO planted by the sandbox must not hang the service; it is then refused as not a regular file.
        var file = root.TryOpen(normalized, LibC.O_RDONLY | LibC.O_NONBLOCK);
        if (file is null || WorkspaceRoot.Stat(file) is not { Type: FileStatus.Regular })
        {
            file?.Dispose();
            return Task.FromResult<Stream?>(null);
        }
        return Task.FromResult<Stream?>(new FileStream(file, FileAccess.Read, bufferSize: 0));
    }

    public async Task WriteAsync(string path, Stream content, CancellationToken cancellationToken)
    {
        var (parentPath, name) = RelativePath.SplitLast(path);
        using var root = WorkspaceRoot.Open(merged, sandboxId);
        using var parent = CreateDirectories(root, parentPath);
        var existing = WorkspaceRoot.StatEntry(parent, name);
        if (existing is { IsDirectory: true })
        {
            throw new InvalidWorkspacePathException($"'{path}' is a directory.");
        }
        var temporary = TemporaryPrefix + Guid.NewGuid().ToString("N");
        var parentFd = (int)parent.DangerousGetHandle();
        try
        {
            await WriteNewFileAsync(parent, temporary, content, existing is { Type: FileStatus.Regular } file ? file.Permissions : null, owner, cancellationToken);
            // rename(2) replaces the entry itself, a symlink included, without following it: that is what makes the write atomic and safe.
            if (LibC.RenameAt(parentFd, temporary, parentFd, name) != 0)
            {
                throw LibC.Error("Renaming the new content onto", path, LibC.LastError);
            }
        }
        catch
        {
            LibC.UnlinkAt(parentFd, temporary, 0);
            throw;
        }
    }

    public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken)
    {
        var (parentPath, name) = RelativePath.SplitLast(path);
        using var root = WorkspaceRoot.Open(merged, sandboxId);
        using var parent = root.TryOpen(parentPath, LibC.O_RDONLY | LibC.O_DIRECTORY);
        if (parent is null || WorkspaceRoot.StatEntry(parent, name) is null)
        {
            return Task.FromResult(false);
        }
        WorkspaceRoot.DeleteEntry(parent, name);
        return Task.FromResult(true);
    }

    public Task<IReadOnlyList<SandboxFileEntry>?> ListAsync(string directory, CancellationToken cancellationToken)
    {
        var normalized = RelativePath.Normalize(directory);
        using var root = WorkspaceRoot.Open(merged, sandboxId);
        using var handle = root.TryOpen(normalized, LibC.O_RDONLY | LibC.O_DIRECTORY);
        if (handle is null)
        {
            return Task.FromResult<IReadOnlyList<SandboxFileEntry>?>(null);
        }
        var entries = new List<SandboxFileEntry>();
        foreach (var name in WorkspaceRoot.EntryNames(handle).Where(n => !n.StartsWith(TemporaryPrefix, StringComparison.Ordinal)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryStat(root, Join(normalized, name)) is { } entry)
            {
                entries.Add(entry);
            }
        }
        entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return Task.FromResult<IReadOnlyList<SandboxFileEntry>?>(entries);
    }

    public Task<SandboxFileEntry?> StatAsync(string path, CancellationToken cancellationToken)
    {
        using var root = WorkspaceRoot.Open(merged, sandboxId);
        var normalized = RelativePath.Normalize(path);
        return Task.FromResult(Entry(root, normalized));
    }

    private static SandboxFileEntry? Entry(WorkspaceRoot root, string path)
    {
        using var file = root.TryOpen(path, LibC.O_PATH);
        return file is null || WorkspaceRoot.Stat(file) is not { } status
            ? null
            : new SandboxFileEntry(path, path[(path.LastIndexOf('/') + 1)..], status.IsDirectory, status.IsDirectory ? 0 : status.Size, status.ModifiedAt);
    }

    /// <summary>Listing skips entries that are dangling or lead outside the workspace: they are not workspace files.</summary>
    private static SandboxFileEntry? TryStat(WorkspaceRoot root, string path)
    {
        try
        {
            return Entry(root, path);
        }
        catch (InvalidWorkspacePathException)
        {
            return null;
        }
    }

    /// <summary>mkdir -p, each level created relative to its already-open parent and re-opened beneath the root.</summary>
    private SafeFileHandle CreateDirectories(WorkspaceRoot root, string parentPath)
    {
        var current = root.TryOpen("", LibC.O_PATH | LibC.O_DIRECTORY)!;
        try
        {
            var path = "";
            foreach (var segment in RelativePath.Split(parentPath))
            {
                path = Join(path, segment);
                var next = root.TryOpen(path, LibC.O_PATH | LibC.O_DIRECTORY) ?? CreateDirectory(root, current, path, segment, owner);
                current.Dispose();
                current = next;
            }
            return current;
        }
        catch
        {
            current.Dispose();
            throw;
        }
    }

    private static SafeFileHandle CreateDirectory(WorkspaceRoot root, SafeFileHandle parent, string path, string name, SandboxOwner owner)
    {
        if (LibC.MkdirAt((int)parent.DangerousGetHandle(), name, NewDirectoryMode) == 0)
        {
            SandboxOwnership.OwnEntry(parent, name, owner);
        }
        else if (LibC.LastError != LibC.EEXIST)
        {
            throw LibC.Error("Creating the directory", path, LibC.LastError);
        }
        return root.TryOpen(path, LibC.O_PATH | LibC.O_DIRECTORY)
            ?? throw new InvalidWorkspacePathException($"'{path}' exists and is not a directory.");
    }

    private static async Task WriteNewFileAsync(SafeFileHandle parent, string name, Stream content, int? permissions, SandboxOwner owner, CancellationToken cancellationToken)
    {
        var handle = WorkspaceRoot.TryOpenEntry(parent, name, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_EXCL, NewFileMode)
            ?? throw new IOException($"Could not create '{name}'.");
        await using var stream = new FileStream(handle, FileAccess.Write, bufferSize: 0);
        // Before the mode is set: chown clears set-id bits, and the mode is the old file's.
        SandboxOwnership.Own(handle, owner);
        if (permissions is { } mode && !OperatingSystem.IsWindows())
        {
            // Keep an edited script executable.
            File.SetUnixFileMode(handle, (UnixFileMode)mode);
        }
        await content.CopyToAsync(stream, cancellationToken);
    }

    private static string Join(string directory, string name) => directory.Length == 0 ? name : $"{directory}/{name}";
}
