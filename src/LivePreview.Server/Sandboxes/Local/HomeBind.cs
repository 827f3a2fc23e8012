namespace LivePreview.Sandboxes.Local;

/// <summary>
/// A sandbox's persistent HOME (<see cref="SandboxPaths.Home"/>): the folder <c>{Root}/{id}/disk/home</c> (on the
/// sandbox's disk image when it has one, so it counts against the disk limit), outside the overlay, so it is not in
/// the workspace the dev server serves, checkpoints and exports hold. Like the workspace it is bound once more next
/// to the workspace bind (<c>/run/livepreview/{hash}/{id}.home</c>, see <see cref="WorkspaceBind"/>): bubblewrap runs
/// as the sandbox's host user and cannot reach into the root-only sandbox folder. It survives stop/start and service
/// restarts (an agent's settings and session transcripts live there) and goes with the sandbox.
/// </summary>
internal static class HomeBind
{
    private const ulong MsBind = 0x1000, MsRemount = 0x20;
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode GroupSearchable = OwnerOnly | UnixFileMode.GroupExecute;

    /// <summary>".home" cannot be part of a sandbox id, so this never meets another sandbox's workspace bind.</summary>
    public static string PathFor(string sandboxesRoot, string sandboxId) => WorkspaceBind.PathFor(sandboxesRoot, sandboxId) + ".home";

    public static bool IsMounted(string sandboxesRoot, string sandboxId) => OverlayMount.IsMounted(PathFor(sandboxesRoot, sandboxId));

    /// <summary>Creates the HOME folder (the sandbox user's, private) and binds it, unless it is bound already; after <see cref="WorkspaceBind.Ensure"/>.</summary>
    public static void Ensure(SandboxLayout layout, string sandboxesRoot, SandboxOwner owner)
    {
        var target = PathFor(sandboxesRoot, layout.Id);
        if (OverlayMount.IsMounted(target))
        {
            return;
        }
        // disk/ is root-only and never visible inside the sandbox, so nothing the sandbox made can stand in for home/ here.
        Directory.CreateDirectory(layout.Home);
        Directory.CreateDirectory(target);
        if (!OperatingSystem.IsWindows())
        {
            SandboxOwnership.SetOwner(layout.Home, owner.Uid, owner.Gid);
            File.SetUnixFileMode(layout.Home, OwnerOnly);
            SandboxOwnership.SetOwner(target, 0, owner.Gid);
            File.SetUnixFileMode(target, GroupSearchable);
        }
        if (LibC.Mount(layout.Home, target, "none", MsBind, null!) != 0)
        {
            throw LibC.Error("Binding the sandbox's home on", target, LibC.LastError);
        }
        // A bind keeps its source's flags, and a sandbox without a disk image has home/ on the data directory's file system.
        if (LibC.Mount("none", target, "none", MsBind | MsRemount | LibC.MS_NOSUID | LibC.MS_NODEV, null!) != 0)
        {
            var error = LibC.LastError;
            OverlayMount.Unmount(target);
            throw LibC.Error("Making nosuid the sandbox's home on", target, error);
        }
    }

    /// <summary>Unmounts and removes the bind (the folder itself stays with the sandbox); before <see cref="WorkspaceBind.Remove"/>, which removes their parent.</summary>
    public static void Remove(string sandboxesRoot, string sandboxId)
    {
        var target = PathFor(sandboxesRoot, sandboxId);
        OverlayMount.Unmount(target);
        if (Directory.Exists(target))
        {
            Directory.Delete(target);
        }
    }
}
