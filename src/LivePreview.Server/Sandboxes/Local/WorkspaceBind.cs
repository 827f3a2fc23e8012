using System.Security.Cryptography;
using System.Text;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// Where bubblewrap finds a sandbox's workspace. bubblewrap runs as the unprivileged sandbox user and
/// resolves its bind sources with that user's permissions, so it cannot reach <c>{Root}/{id}/merged</c>
/// when any folder above it is private (the data directory under /root, a 0700 temp folder) — and the
/// sandbox folders themselves stay root-only. So the merged overlay is bind-mounted once more at
/// <c>/run/livepreview/{hash of Root}/{id}</c>, a path whose folders are root's and searchable by the
/// sandbox group only, and that bind is what <c>/app</c> is made from.
/// </summary>
internal static class WorkspaceBind
{
    public const string DefaultParent = "/run/livepreview";
    private const ulong MsBind = 0x1000;
    private const UnixFileMode RootOnlySearchable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherExecute;
    private const UnixFileMode GroupSearchable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute;

    /// <summary>The folder holding one provider root's binds (one per data directory, so services and tests on one host never meet).</summary>
    public static string FolderFor(string sandboxesRoot, string parent = DefaultParent)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(sandboxesRoot))))[..16];
        return Path.Join(parent, hash);
    }

    public static string PathFor(string sandboxesRoot, string sandboxId) => Path.Join(FolderFor(sandboxesRoot), sandboxId);

    /// <summary>Binds the (mounted) merged overlay at the sandbox's bind path, unless it is there already.</summary>
    public static void Ensure(SandboxLayout layout, string sandboxesRoot, SandboxOwner owner)
    {
        var target = PathFor(sandboxesRoot, layout.Id);
        if (OverlayMount.IsMounted(target))
        {
            return;
        }
        Directory.CreateDirectory(DefaultParent);
        var folder = FolderFor(sandboxesRoot);
        Directory.CreateDirectory(target);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(DefaultParent, RootOnlySearchable);
            foreach (var path in new[] { folder, target })
            {
                SandboxOwnership.SetOwner(path, 0, owner.Gid);
                File.SetUnixFileMode(path, GroupSearchable);
            }
        }
        // MS_BIND keeps the overlay's nosuid/nodev: a bind carries its source mount's flags.
        if (LibC.Mount(layout.Merged, target, "none", MsBind, null!) != 0)
        {
            throw LibC.Error("Binding the workspace on", target, LibC.LastError);
        }
    }

    public static bool IsMounted(string sandboxesRoot, string sandboxId) => OverlayMount.IsMounted(PathFor(sandboxesRoot, sandboxId));

    /// <summary>Unmounts and removes the bind; first in a teardown, since it keeps the overlay alive.</summary>
    public static void Remove(string sandboxesRoot, string sandboxId)
    {
        var target = PathFor(sandboxesRoot, sandboxId);
        OverlayMount.Unmount(target);
        if (Directory.Exists(target))
        {
            Directory.Delete(target);
        }
        try
        {
            // The provider's folder goes with its last sandbox (rmdir: only when empty).
            Directory.Delete(FolderFor(sandboxesRoot));
        }
        catch (IOException)
        {
            // Other sandboxes still have their binds there, or it is gone already.
        }
    }
}
