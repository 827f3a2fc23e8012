namespace LivePreview.Sandboxes.Local;

/// <summary>Overlay mount data: the workspace is the read-only snapshot plus a per-sandbox upper layer, so creating one copies nothing.</summary>
internal static class OverlayOptions
{
    /// <summary>',' separates mount options, ':' separates lower layers and '\' escapes; none can appear in a layer path.</summary>
    public static bool HasForbiddenCharacter(string path) => path.AsSpan().IndexOfAny(",:\\") >= 0;

    public static string For(string lower, string upper, string work) => For([lower], upper, work);

    /// <summary>Several lower layers, topmost first (<c>lowerdir=a:b</c>).</summary>
    public static string For(IReadOnlyList<string> lowers, string upper, string work)
    {
        foreach (var path in lowers.Append(upper).Append(work))
        {
            if (HasForbiddenCharacter(path))
            {
                throw new ArgumentException($"'{path}' contains ',', ':' or '\\', which overlayfs mount options cannot carry.");
            }
        }
        return $"lowerdir={string.Join(':', lowers)},upperdir={upper},workdir={work}";
    }
}

/// <summary>mount(2) and umount2(2) of a sandbox's overlay, and whether it is mounted.</summary>
internal static class OverlayMount
{
    /// <summary>
    /// Mounts the overlay with its layers named by descriptors (<c>/proc/self/fd/N</c>): the kernel
    /// resolves them at mount time and shows the options as given, so the sandbox's mountinfo names no
    /// host path (a path is what the git-export attack needed).
    /// </summary>
    public static void Mount(SandboxLayout layout, string snapshotDirectory) => Mount(layout, [snapshotDirectory]);

    /// <summary>With several lower layers, topmost first.</summary>
    public static void Mount(SandboxLayout layout, IReadOnlyList<string> lowerDirectories)
    {
        OverlayOptions.For(lowerDirectories, layout.Upper, layout.Work);
        var lowers = new List<Microsoft.Win32.SafeHandles.SafeFileHandle>();
        try
        {
            foreach (var directory in lowerDirectories)
            {
                lowers.Add(OpenPath(directory));
            }
            MountCore(layout, lowers);
        }
        finally
        {
            lowers.ForEach(l => l.Dispose());
        }
    }

    private static void MountCore(SandboxLayout layout, List<Microsoft.Win32.SafeHandles.SafeFileHandle> lowers)
    {
        using var upper = OpenPath(layout.Upper);
        using var work = OpenPath(layout.Work);
        var data = OverlayOptions.For(lowers.Select(FdPath).ToList(), FdPath(upper), FdPath(work));
        // nosuid/nodev: the workspace is written by untrusted code; nothing in it may gain privileges on the host.
        if (LibC.Mount("overlay", layout.Merged, "overlay", LibC.MS_NOSUID | LibC.MS_NODEV, data) != 0)
        {
            throw LibC.Error("Mounting the overlay on", layout.Merged, LibC.LastError);
        }
    }

    private static Microsoft.Win32.SafeHandles.SafeFileHandle OpenPath(string directory)
    {
        const int AtFdCwd = -100;
        var fd = LibC.Openat2(AtFdCwd, directory, LibC.O_PATH | LibC.O_DIRECTORY, 0, 0);
        return fd >= 0 ? new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true) : throw LibC.Error("Opening the overlay layer", directory, LibC.LastError);
    }

    private static string FdPath(Microsoft.Win32.SafeHandles.SafeFileHandle handle) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"/proc/self/fd/{handle.DangerousGetHandle()}");

    /// <summary>Unmounts every mount stacked on the path; a busy mount is detached (it goes away when its last user does).</summary>
    public static void Unmount(string mountPoint)
    {
        while (IsMounted(mountPoint))
        {
            if (LibC.Umount2(mountPoint, 0) != 0 && LibC.Umount2(mountPoint, LibC.MNT_DETACH) != 0)
            {
                throw LibC.Error("Unmounting", mountPoint, LibC.LastError);
            }
        }
    }

    public static bool IsMounted(string mountPoint) => MountInfo.IsMountPoint(mountPoint);
}
