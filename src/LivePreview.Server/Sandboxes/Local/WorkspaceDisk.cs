using System.Runtime.InteropServices;
using LivePreview.Hosting;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// The per-sandbox disk limit: the overlay's upper and work folders live on an ext4 image of
/// <see cref="LocalSandboxOptions.DiskLimitMb"/> (<c>{sandbox}/disk.img</c>, sparse: it takes only
/// what is written) loop-mounted at <c>{sandbox}/disk/</c>. A sandbox that writes past it gets ENOSPC
/// from its own file system; the data directory's disk only ever sees the image grow up to its size.
/// </summary>
/// <remarks>
/// util-linux <c>mount -o loop</c> rather than the loop ioctls: it takes a free loop device without
/// racing other users of /dev/loop-control and marks it autoclear, so unmounting detaches it (a
/// crash between attach and mount cannot leak a device either). It costs one process (~5 ms).
/// The image is written by the kernel's ext4 only: the sandbox sees files, never the image's bytes.
/// </remarks>
internal sealed class WorkspaceDisk(LocalSandboxOptions options)
{
    private readonly Lazy<string?> _unavailable = new(() => WhyUnavailable(options));

    /// <summary>Sandboxes made now get an image (the limit is on and this host can make one).</summary>
    public bool Enabled => options.DiskLimitMb > 0 && _unavailable.Value is null;

    public ContainmentEntry Report() =>
        options.DiskLimitMb <= 0 ? ContainmentEntry.Off("disk", $"{LocalSandboxOptions.Section}:DiskLimitMb = 0")
        : _unavailable.Value is { } why ? ContainmentEntry.Unavailable("disk", why)
        : ContainmentEntry.On("disk", $"a loop-mounted ext4 image per sandbox ({options.DiskLimitMb} MiB), creation refused below {options.MinFreeDiskMb} MiB free");

    /// <summary>Makes the sandbox's image, sparse, formatted under a temporary name so a crash never leaves half a file system behind.</summary>
    public async Task CreateAsync(SandboxLayout layout, CancellationToken cancellationToken)
    {
        var temporary = layout.DiskImage + ".tmp";
        await using (var image = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            image.SetLength(options.DiskLimitMb * 1024L * 1024L);
        }
        // No reserved blocks (root is not special in a sandbox); lazy init keeps the image sparse and mkfs at a few ms.
        await HostCommand.RunAsync(options.MkfsPath,
            ["-q", "-F", "-m", "0", "-E", "lazy_itable_init=1,lazy_journal_init=1,nodiscard", temporary],
            options.HostCommandTimeout, cancellationToken);
        File.Move(temporary, layout.DiskImage);
    }

    /// <summary>Mounts the image when the sandbox has one and it is not mounted yet; true when it mounted it.</summary>
    public async Task<bool> EnsureMountedAsync(SandboxLayout layout, CancellationToken cancellationToken)
    {
        if (!File.Exists(layout.DiskImage) || MountInfo.IsMountPoint(layout.Disk))
        {
            return false;
        }
        // nosuid,nodev: nothing written by the sandbox gains privileges. noexec: the host never runs what is on it
        // (inside the sandbox exec is decided by the overlay mount, which stays exec: installs run their scripts).
        await HostCommand.RunAsync(options.MountPath,
            ["-t", "ext4", "-o", "loop,nosuid,nodev,noexec", "--", layout.DiskImage, layout.Disk],
            options.HostCommandTimeout, cancellationToken);
        return true;
    }

    /// <summary>
    /// Unmounts the image (autoclear then frees its loop device) and detaches any loop device still backed by it,
    /// then waits (at most <paramref name="timeout"/>, default 5 s) until none is: the kernel finishes a detach
    /// only once the device's last opener (our own ioctl, or udev probing it) has closed it, so the device can
    /// name the image for a moment after the unmount returned (seen in CI).
    /// </summary>
    public static void Unmount(SandboxLayout layout, TimeSpan? timeout = null)
    {
        OverlayMount.Unmount(layout.Disk);
        var deadline = Environment.TickCount64 + (long)(timeout ?? TimeSpan.FromSeconds(5)).TotalMilliseconds;
        while (true)
        {
            var devices = LoopDevicesBackedBy(layout.DiskImage);
            if (devices.Count == 0 || Environment.TickCount64 >= deadline)
            {
                return;
            }
            foreach (var device in devices)
            {
                Detach(device);
            }
            Thread.Sleep(20);
        }
    }

    /// <summary>The loop devices whose backing file is the path (<c>/sys/block/loopN/loop/backing_file</c>).</summary>
    public static IReadOnlyList<string> LoopDevicesBackedBy(string path)
    {
        var devices = new List<string>();
        foreach (var block in Directory.EnumerateDirectories("/sys/block", "loop*"))
        {
            try
            {
                if (File.ReadAllText(Path.Join(block, "loop", "backing_file")).TrimEnd('\n') == path)
                {
                    devices.Add("/dev/" + Path.GetFileName(block));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not attached (no loop/ folder) or gone meanwhile.
            }
        }
        return devices;
    }

    /// <summary>Refuses to go on when the disk holding the sandboxes has less free space than the reserve.</summary>
    public void EnsureFreeSpace(string directory)
    {
        if (options.MinFreeDiskMb <= 0)
        {
            return;
        }
        var free = FreeMegabytes(directory);
        if (free < options.MinFreeDiskMb)
        {
            throw new InsufficientStorageException(
                $"The disk holding {directory} has {free} MiB free, less than the {options.MinFreeDiskMb} MiB kept in reserve "
                + $"({LocalSandboxOptions.Section}:MinFreeDiskMb). Delete sandboxes or free space on that disk.");
        }
    }

    public static long FreeMegabytes(string directory)
    {
        var existing = directory;
        while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
        {
            existing = parent;
        }
        return new DriveInfo(existing).AvailableFreeSpace / (1024 * 1024);
    }

    private static string? WhyUnavailable(LocalSandboxOptions options)
    {
        if (HostCommand.Find(options.MkfsPath) is null)
        {
            return $"'{options.MkfsPath}' is not installed (Debian: e2fsprogs); sandboxes write to the data directory's disk without a limit";
        }
        if (HostCommand.Find(options.MountPath) is null)
        {
            return $"'{options.MountPath}' is not installed (Debian: mount); sandboxes write to the data directory's disk without a limit";
        }
        return File.Exists("/dev/loop-control") ? null
            : "there is no /dev/loop-control (no loop devices: a container without them?); sandboxes write to the data directory's disk without a limit";
    }

    private static void Detach(string device)
    {
        const int oRdonly = 0, oCloexec = 0x80000;
        const ulong loopClrFd = 0x4C01;
        var fd = Open(device, oRdonly | oCloexec);
        if (fd < 0)
        {
            return;
        }
        try
        {
            // EBUSY while still mounted somewhere: then autoclear frees it once the last user is gone.
            _ = Ioctl(fd, loopClrFd, 0);
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open(string path, int flags);

    [DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static extern int Ioctl(int fd, ulong request, ulong argument);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
