using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace LivePreview.Sandboxes.Local;

/// <summary>The host user and group that sandbox processes run as (<see cref="LocalSandboxOptions.HostUid"/>/<see cref="LocalSandboxOptions.HostGid"/>).</summary>
internal readonly record struct SandboxOwner(int Uid, int Gid)
{
    public static SandboxOwner From(LocalSandboxOptions options) => new(options.HostUid, options.HostGid);
}

/// <summary>
/// Who owns what on the host, now that sandbox processes are an unprivileged host user rather than
/// host root: the sandbox's upper layer (where copy-ups and new files go) and its snapshot (the lower
/// layer: copy-up keeps the owner, so a root-owned snapshot file would be read-only inside) belong to
/// the sandbox user; the sandbox folders stay root's. Every walk is done
/// through directory handles with symlinks never followed, since the upper layer is sandbox-controlled.
/// </summary>
internal static class SandboxOwnership
{
    private const int AtFdCwd = -100;
    private static readonly Lock SnapshotLock = new();

    /// <summary>
    /// Gives one sandbox's folders their owners; call after its directories exist (and whatever holds
    /// upper/ is mounted) but before the overlay is mounted: overlayfs caches the owner of its root when
    /// it mounts. A sandbox made before the host user existed (its upper layer host root's) has its
    /// whole upper layer handed over once; true then, and an overlay already mounted must be mounted
    /// again to see it.
    /// </summary>
    public static bool Apply(SandboxLayout layout, SandboxOwner owner)
    {
        using var upper = OpenDirectory(layout.Upper);
        if (OwnerOf(upper) == owner.Uid)
        {
            return false;
        }
        ChownTree(upper, owner);
        Chown(upper, "", owner, LibC.AT_EMPTY_PATH);
        return true;
    }

    /// <summary>
    /// Hands a snapshot (an overlay's lower layer) to the sandbox user, once per finished snapshot. The
    /// snapshot store writes <c>manifest.json</c> last, and files may be added to a snapshot folder until
    /// then (the dep-cache warmer copies its cache in after a sandbox has used the folder), so "done" is
    /// a marker in the provider's own folder named after the snapshot and its manifest's identity (<c>manifest.json</c>
    /// inside, or <c>{folder}.json</c> beside it for a dependency layer; neither: a walk every time), written
    /// after the walk: a crash half-way, a rebuilt snapshot or a folder still being built means another walk.
    /// </summary>
    public static bool EnsureSnapshot(string snapshotDirectory, SandboxOwner owner, string markerFolder)
    {
        lock (SnapshotLock)
        {
            var marker = MarkerFor(snapshotDirectory, owner, markerFolder);
            if (marker is not null && File.Exists(marker))
            {
                return false;
            }
            using (var root = OpenDirectory(snapshotDirectory))
            {
                ChownTree(root, owner);
                Chown(root, "", owner, LibC.AT_EMPTY_PATH);
            }
            if (marker is not null)
            {
                Directory.CreateDirectory(markerFolder);
                File.WriteAllText(marker, snapshotDirectory);
            }
            return true;
        }
    }

    private static string? MarkerFor(string snapshotDirectory, SandboxOwner owner, string markerFolder)
    {
        // A dependency layer keeps its manifest beside its folder ({key}.json): inside, it would show in the workspace.
        var manifest = new FileInfo(Path.Join(snapshotDirectory, "manifest.json"));
        if (!manifest.Exists)
        {
            manifest = new FileInfo(Path.TrimEndingDirectorySeparator(snapshotDirectory) + ".json");
        }
        if (!manifest.Exists || manifest.LinkTarget is not null)
        {
            return null;
        }
        var identity = string.Create(CultureInfo.InvariantCulture,
            $"{Path.GetFullPath(snapshotDirectory)}\n{manifest.Length}\n{manifest.LastWriteTimeUtc.Ticks}\n{owner.Uid}:{owner.Gid}");
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(identity)));
        return Path.Join(markerFolder, hash[..32]);
    }

    /// <summary>A file or directory the service just created in a workspace becomes the sandbox user's; a symlink swapped in meanwhile is changed itself, never followed.</summary>
    public static void OwnEntry(SafeFileHandle directory, string name, SandboxOwner owner) =>
        Chown(directory, name, owner, LibC.AT_SYMLINK_NOFOLLOW);

    /// <summary>An open file the service just created in a workspace becomes the sandbox user's.</summary>
    public static void Own(SafeFileHandle file, SandboxOwner owner)
    {
        if (Fchown((int)file.DangerousGetHandle(), owner.Uid, owner.Gid) != 0)
        {
            throw LibC.Error("Changing the owner of", "a new workspace file", LibC.LastError);
        }
    }

    /// <summary>
    /// Host ids that may not own sandboxes: root, any account someone can log in as (its files and
    /// processes would be the sandbox's), and ids inside someone's subordinate range (/etc/subuid,
    /// /etc/subgid: that user's rootless containers could map and act as them).
    /// </summary>
    public static IEnumerable<string> ValidateHostIds(int uid, int gid, string passwd = "/etc/passwd", string subuid = "/etc/subuid", string subgid = "/etc/subgid")
    {
        if (uid <= 0 || gid <= 0)
        {
            yield return $"{LocalSandboxOptions.Section}:HostUid and HostGid must be positive: sandbox processes are never host root.";
            yield break;
        }
        foreach (var fields in Lines(passwd))
        {
            if (fields.Length >= 7 && fields[2] == uid.ToString(CultureInfo.InvariantCulture) && !IsNoLoginShell(fields[6]))
            {
                yield return $"{LocalSandboxOptions.Section}:HostUid {uid} is the host account '{fields[0]}', which can log in; pick an unused id (such as 99999) or an account whose shell is nologin.";
            }
        }
        foreach (var (file, id, name) in new[] { (subuid, uid, "HostUid"), (subgid, gid, "HostGid") })
        {
            foreach (var fields in Lines(file))
            {
                if (fields.Length >= 3 && long.TryParse(fields[1], CultureInfo.InvariantCulture, out var first) && long.TryParse(fields[2], CultureInfo.InvariantCulture, out var count)
                    && id >= first && id < first + count)
                {
                    yield return $"{LocalSandboxOptions.Section}:{name} {id} lies in the subordinate range of '{fields[0]}' ({file}: {first}–{first + count - 1}); pick an id outside every range.";
                }
            }
        }
    }

    private static IEnumerable<string[]> Lines(string file) =>
        File.Exists(file) ? File.ReadLines(file).Select(l => l.Split(':')) : [];

    /// <summary>The host uid that owns a path (not following a final symlink).</summary>
    public static int OwnerOf(string path)
    {
        using var handle = OpenDirectoryOrFile(path);
        return OwnerOf(handle);
    }

    /// <summary>
    /// bubblewrap resolves the workspace bind path as the sandbox user, so every folder above
    /// <paramref name="path"/> must be searchable by it. Null when they are; otherwise what to change.
    /// </summary>
    public static string? Unreachable(string path, SandboxOwner owner)
    {
        for (var folder = Path.GetDirectoryName(Path.GetFullPath(path)); folder is not null; folder = Path.GetDirectoryName(folder))
        {
            if (!Directory.Exists(folder))
            {
                continue;
            }
            var (uid, gid, mode) = Status(folder);
            var searchable = (mode & 0b001) != 0 || (gid == owner.Gid && (mode & 0b001_000) != 0) || (uid == owner.Uid && (mode & 0b001_000_000) != 0);
            if (!searchable)
            {
                return $"'{folder}' (mode {Convert.ToString(mode & 0xFFF, 8)}) cannot be searched by the sandbox user {owner.Uid}, so bubblewrap cannot reach the workspaces below it. " +
                    $"Allow it (chmod o+x '{folder}').";
            }
        }
        return null;
    }

    private static bool IsNoLoginShell(string shell) =>
        shell.EndsWith("/nologin", StringComparison.Ordinal) || shell.EndsWith("/false", StringComparison.Ordinal);

    private static void ChownTree(SafeFileHandle directory, SandboxOwner owner)
    {
        foreach (var name in WorkspaceRoot.EntryNames(directory).ToList())
        {
            if (WorkspaceRoot.StatEntry(directory, name) is not { } status)
            {
                continue;
            }
            if (status.IsDirectory)
            {
                using var child = WorkspaceRoot.TryOpenEntry(directory, name, LibC.O_RDONLY | LibC.O_DIRECTORY);
                if (child is not null)
                {
                    ChownTree(child, owner);
                }
            }
            Chown(directory, name, owner, LibC.AT_SYMLINK_NOFOLLOW);
        }
    }

    private static void Chown(SafeFileHandle directory, string name, SandboxOwner owner, int flags)
    {
        if (Fchownat((int)directory.DangerousGetHandle(), name, owner.Uid, owner.Gid, flags) != 0 && LibC.LastError != LibC.ENOENT)
        {
            throw LibC.Error("Changing the owner of", name.Length == 0 ? "a sandbox folder" : name, LibC.LastError);
        }
    }

    public static void SetOwner(string path, int uid, int gid)
    {
        using var handle = OpenDirectory(path);
        Chown(handle, "", new SandboxOwner(uid, gid), LibC.AT_EMPTY_PATH);
    }

    private static SafeFileHandle OpenDirectory(string path)
    {
        var fd = LibC.Openat2(AtFdCwd, path, LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_NOFOLLOW, 0, 0);
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw LibC.Error("Opening", path, LibC.LastError);
    }

    private static SafeFileHandle OpenDirectoryOrFile(string path)
    {
        var fd = LibC.Openat2(AtFdCwd, path, LibC.O_PATH | LibC.O_NOFOLLOW, 0, 0);
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw LibC.Error("Opening", path, LibC.LastError);
    }

    private static int OwnerOf(SafeFileHandle handle) => Status(handle).Uid;

    private static (int Uid, int Gid, int Mode) Status(string path)
    {
        using var handle = OpenDirectoryOrFile(path);
        return Status(handle);
    }

    private static (int Uid, int Gid, int Mode) Status(SafeFileHandle handle)
    {
        var buffer = new byte[256];
        if (LibC.Statx((int)handle.DangerousGetHandle(), "", LibC.AT_EMPTY_PATH, 0x7ff /* STATX_BASIC_STATS */, buffer) != 0)
        {
            throw LibC.Error("Reading the owner of", "a sandbox folder", LibC.LastError);
        }
        return ((int)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(20)), (int)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(24)),
            BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(28)));
    }

    [DllImport("libc", EntryPoint = "fchownat", SetLastError = true)]
    private static extern int Fchownat(int directoryFd, string path, int uid, int gid, int flags);

    [DllImport("libc", EntryPoint = "fchown", SetLastError = true)]
    private static extern int Fchown(int fd, int uid, int gid);
}
