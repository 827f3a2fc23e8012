using System.Buffers.Binary;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// Copies a workspace whose processes are all dead onto the host. Every entry is examined with
/// statx(AT_SYMLINK_NOFOLLOW): symlinks are recreated with their target text (a link to /etc/shadow
/// stays a link the host never opens), directories are recursed into only when they are directories,
/// fifos, sockets and devices are skipped, and permissions keep only rwx bits (no set-id file owned by
/// whoever the sandbox ran as ever appears on the host).
/// </summary>
internal static class WorkspaceCopy
{
    private const int AtFdCwd = -100;
    private const int TypeMask = 0xF000, Directory = 0x4000, Regular = 0x8000, SymbolicLink = 0xA000;
    private const UnixFileMode Permissions = (UnixFileMode)0x1FF;

    public static int Copy(string from, string to, CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Local sandboxes need Linux.");
        }
        System.IO.Directory.CreateDirectory(to);
        File.SetUnixFileMode(to, ModeOf(from) & Permissions | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var copied = 0;
        foreach (var source in System.IO.Directory.EnumerateFileSystemEntries(from))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var target = Path.Join(to, Path.GetFileName(source));
            var mode = RawMode(source);
            switch (mode & TypeMask)
            {
                case Directory:
                    copied += Copy(source, target, cancellationToken);
                    break;
                case Regular:
                    File.Copy(source, target);
                    File.SetUnixFileMode(target, (UnixFileMode)(mode & 0x1FF));
                    copied++;
                    break;
                case SymbolicLink:
                    File.CreateSymbolicLink(target, new FileInfo(source).LinkTarget ?? throw new IOException($"'{source}' is a link without a target."));
                    copied++;
                    break;
            }
        }
        return copied;
    }

    /// <summary>
    /// Copies only the folders <paramref name="relativePaths"/> of <paramref name="root"/>; every part of each path is
    /// checked (without following) to be a directory first, so a link planted as <c>packages</c> leads nowhere.
    /// </summary>
    public static int CopyFolders(string root, IReadOnlyList<string> relativePaths, string to, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(to);
        var copied = 0;
        foreach (var relative in relativePaths)
        {
            var parts = relative.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var source = root;
            var isFolder = parts.Length > 0;
            foreach (var part in parts)
            {
                source = Path.Join(source, part);
                if (!TryRawMode(source, out var mode) || (mode & TypeMask) != Directory)
                {
                    isFolder = false;
                    break;
                }
            }
            if (isFolder)
            {
                var target = Path.Join(to, string.Join('/', parts));
                System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                copied += Copy(source, target, cancellationToken);
            }
        }
        return copied;
    }

    private static bool TryRawMode(string path, out int mode)
    {
        var buffer = new byte[256];
        if (LibC.Statx(AtFdCwd, path, LibC.AT_SYMLINK_NOFOLLOW, 0x1 | 0x2, buffer) != 0)
        {
            mode = 0;
            return false;
        }
        mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(28));
        return true;
    }

    private static UnixFileMode ModeOf(string path) => (UnixFileMode)(RawMode(path) & 0xFFF);

    private static int RawMode(string path)
    {
        var buffer = new byte[256];
        if (LibC.Statx(AtFdCwd, path, LibC.AT_SYMLINK_NOFOLLOW, 0x1 | 0x2 /* STATX_TYPE | STATX_MODE */, buffer) != 0)
        {
            throw LibC.Error("Reading the status of", path, LibC.LastError);
        }
        return BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(28));
    }
}
