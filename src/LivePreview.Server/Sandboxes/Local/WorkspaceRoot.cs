using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace LivePreview.Sandboxes.Local;

/// <summary>What statx(2) says about one file.</summary>
internal readonly record struct FileStatus(int Type, int Permissions, long Size, DateTimeOffset ModifiedAt)
{
    public const int Directory = 0x4000, Regular = 0x8000, Symlink = 0xA000;

    public bool IsDirectory => Type == Directory;
}

/// <summary>
/// An open handle on a workspace root (the merged overlay) through which every path is resolved by
/// the kernel with RESOLVE_BENEATH: symlinks are followed only while they stay below the root, and
/// "..", absolute links and /proc magic links that would leave it fail with EXDEV. Because the check
/// happens inside the same openat2 call that opens the file, a sandbox process swapping a directory
/// for a link to /etc between a check and a use cannot redirect what host root reads or writes.
/// </summary>
internal sealed class WorkspaceRoot : IDisposable
{
    private const ulong Beneath = LibC.RESOLVE_BENEATH | LibC.RESOLVE_NO_MAGICLINKS;
    private readonly SafeFileHandle _root;

    private WorkspaceRoot(SafeFileHandle root) => _root = root;

    public int Fd => (int)_root.DangerousGetHandle();

    /// <summary>Opens the root; refuses a folder that is not an overlay, so nothing is ever written under an unmounted workspace.</summary>
    public static WorkspaceRoot Open(string merged, string sandboxId)
    {
        var fd = LibC.Openat2(-100, merged, LibC.O_PATH | LibC.O_DIRECTORY, 0, 0);
        if (fd < 0)
        {
            throw LibC.Error("Opening the workspace", merged, LibC.LastError);
        }
        var root = new WorkspaceRoot(new SafeFileHandle(fd, ownsHandle: true));
        var statfs = new byte[256];
        if (LibC.Fstatfs(fd, statfs) != 0 || BinaryPrimitives.ReadInt64LittleEndian(statfs) != LibC.OverlayFsMagic)
        {
            root.Dispose();
            throw new InvalidOperationException($"The workspace of sandbox '{sandboxId}' is not mounted; attach the sandbox first.");
        }
        return root;
    }

    /// <summary>
    /// Opens a host folder whose content is hostile but which is not a sandbox's overlay (a repository checkout, a
    /// dependency layer), for reading through <see cref="TryOpenWithoutLinks"/>. The folder's own path is the host's.
    /// </summary>
    public static WorkspaceRoot OpenFolder(string path)
    {
        var fd = LibC.Openat2(-100, path, LibC.O_PATH | LibC.O_DIRECTORY, 0, 0);
        return fd < 0 ? throw LibC.Error("Opening the folder", path, LibC.LastError) : new WorkspaceRoot(new SafeFileHandle(fd, ownsHandle: true));
    }

    /// <summary>
    /// Like <see cref="TryOpen"/>, but a symlink in any component, the last one included, fails the open (ELOOP →
    /// <see cref="InvalidWorkspacePathException"/>), even one that would stay below the root; with O_PATH the kernel hands
    /// back the link itself instead, which callers refuse by its type (<see cref="Stat"/>).
    /// </summary>
    public SafeFileHandle? TryOpenWithoutLinks(string relative, int flags) =>
        TryOpenAt(Fd, relative, flags | LibC.O_NOFOLLOW, 0, Beneath | LibC.RESOLVE_NO_SYMLINKS);

    /// <summary>Opens a workspace-relative path ("" is the root). Null when it does not exist.</summary>
    /// <exception cref="InvalidWorkspacePathException">The path, through a symlink, leads outside the workspace.</exception>
    public SafeFileHandle? TryOpen(string relative, int flags, uint mode = 0) => TryOpenAt(Fd, relative, flags, mode, Beneath);

    /// <summary>Opens one directory entry below an already-open directory without following a symlink there.</summary>
    public static SafeFileHandle? TryOpenEntry(SafeFileHandle directory, string name, int flags, uint mode = 0) =>
        TryOpenAt((int)directory.DangerousGetHandle(), name, flags | LibC.O_NOFOLLOW, mode, Beneath | LibC.RESOLVE_NO_SYMLINKS);

    public static FileStatus? Stat(SafeFileHandle file) => StatAt((int)file.DangerousGetHandle(), "", LibC.AT_EMPTY_PATH);

    /// <summary>The entry itself, a symlink included, not what it points to.</summary>
    public static FileStatus? StatEntry(SafeFileHandle directory, string name) =>
        StatAt((int)directory.DangerousGetHandle(), name, LibC.AT_SYMLINK_NOFOLLOW);

    /// <summary>Entry names of an open directory, read through /proc/self/fd so the directory cannot be swapped underneath.</summary>
    public static IEnumerable<string> EntryNames(SafeFileHandle directory) =>
        System.IO.Directory.EnumerateFileSystemEntries($"/proc/self/fd/{directory.DangerousGetHandle()}").Select(e => Path.GetFileName(e));

    /// <summary>
    /// Removes an entry; a directory with everything below it. Each level is opened with O_NOFOLLOW
    /// relative to its parent's handle, so a directory swapped for a symlink mid-way makes the delete
    /// fail instead of following the link out of the workspace.
    /// </summary>
    public static void DeleteEntry(SafeFileHandle directory, string name)
    {
        if (StatEntry(directory, name) is not { } status)
        {
            return;
        }
        if (status.IsDirectory)
        {
            using var child = TryOpenEntry(directory, name, LibC.O_RDONLY | LibC.O_DIRECTORY);
            foreach (var grandchild in child is null ? [] : EntryNames(child).ToList())
            {
                DeleteEntry(child!, grandchild);
            }
        }
        if (LibC.UnlinkAt((int)directory.DangerousGetHandle(), name, status.IsDirectory ? LibC.AT_REMOVEDIR : 0) != 0 && LibC.LastError != LibC.ENOENT)
        {
            throw LibC.Error("Deleting", name, LibC.LastError);
        }
    }

    public void Dispose() => _root.Dispose();

    private static SafeFileHandle? TryOpenAt(int directory, string relative, int flags, uint mode, ulong resolve)
    {
        var fd = LibC.Openat2(directory, relative.Length == 0 ? "." : relative, flags, mode, resolve);
        if (fd >= 0)
        {
            return new SafeFileHandle(fd, ownsHandle: true);
        }
        return LibC.LastError switch
        {
            LibC.ENOENT or LibC.ENOTDIR => null,
            LibC.EXDEV or LibC.ELOOP => throw new InvalidWorkspacePathException($"'{relative}' leads outside the workspace (through '..', an absolute path or a symlink)."),
            var error => throw LibC.Error("Opening", relative, error),
        };
    }

    private static FileStatus? StatAt(int directory, string path, int flags)
    {
        var buffer = new byte[256];
        if (LibC.Statx(directory, path, flags, 0x7ff /* STATX_BASIC_STATS */, buffer) != 0)
        {
            return LibC.LastError is LibC.ENOENT or LibC.ENOTDIR ? null : throw LibC.Error("Reading the status of", path, LibC.LastError);
        }
        var mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(28));
        var size = BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(40));
        var seconds = BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(112));
        var nanoseconds = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(120));
        var modified = DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(nanoseconds / 100);
        return new FileStatus(mode & 0xF000, mode & 0xFFF, size, modified);
    }
}
