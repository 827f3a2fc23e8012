using System.Runtime.InteropServices;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// The few Linux calls .NET has no API for: mount(2) for the overlay, and the *at calls that
/// resolve workspace paths inside the kernel (openat2 RESOLVE_BENEATH) so a symlink swapped in by a
/// sandbox process between a check and a use can never redirect a write done as host root.
/// </summary>
/// <remarks>DllImport rather than LibraryImport: the project does not allow unsafe code.</remarks>
internal static class LibC
{
    public const int ENOENT = 2, EEXIST = 17, EXDEV = 18, ENOTDIR = 20, ELOOP = 40;

    public const int O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0x40, O_EXCL = 0x80, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000, O_PATH = 0x200000;

    // These two differ between x86-64 and arm64 (asm-generic/fcntl.h vs arch/arm64 uapi).
    public static readonly int O_DIRECTORY = IsArm64 ? 0x4000 : 0x10000;
    public static readonly int O_NOFOLLOW = IsArm64 ? 0x8000 : 0x20000;

    public const int AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_EMPTY_PATH = 0x1000;

    public const ulong RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_NO_SYMLINKS = 0x04, RESOLVE_BENEATH = 0x08;

    public const ulong MS_NOSUID = 0x2, MS_NODEV = 0x4;
    public const int MNT_DETACH = 0x2;

    public const long OverlayFsMagic = 0x794c7630;

    // openat2 has the same number on every architecture (syscall numbers were unified from 403 on).
    private const long SysOpenat2 = 437;

    private static bool IsArm64 => RuntimeInformation.ProcessArchitecture == Architecture.Arm64;

    [StructLayout(LayoutKind.Sequential)]
    public struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    [DllImport("libc", EntryPoint = "mount", SetLastError = true)]
    public static extern int Mount(string source, string target, string fileSystemType, ulong flags, string data);

    [DllImport("libc", EntryPoint = "umount2", SetLastError = true)]
    public static extern int Umount2(string target, int flags);

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long Openat2Syscall(long number, int directoryFd, string path, ref OpenHow how, nuint size);

    [DllImport("libc", EntryPoint = "mkdirat", SetLastError = true)]
    public static extern int MkdirAt(int directoryFd, string path, uint mode);

    [DllImport("libc", EntryPoint = "renameat", SetLastError = true)]
    public static extern int RenameAt(int oldDirectoryFd, string oldPath, int newDirectoryFd, string newPath);

    [DllImport("libc", EntryPoint = "unlinkat", SetLastError = true)]
    public static extern int UnlinkAt(int directoryFd, string path, int flags);

    /// <summary>statx's layout is the same on every architecture, unlike struct stat.</summary>
    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    public static extern int Statx(int directoryFd, string path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", EntryPoint = "fstatfs", SetLastError = true)]
    public static extern int Fstatfs(int fd, byte[] buffer);

    public static int Openat2(int directoryFd, string path, int flags, uint mode, ulong resolve)
    {
        var how = new OpenHow { Flags = (ulong)(flags | O_CLOEXEC), Mode = mode, Resolve = resolve };
        return (int)Openat2Syscall(SysOpenat2, directoryFd, path, ref how, (nuint)Marshal.SizeOf<OpenHow>());
    }

    public static int LastError => Marshal.GetLastPInvokeError();

    public static IOException Error(string what, string path, int errno) =>
        new($"{what} '{path}' failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
}
