namespace LivePreview.Sandboxes.Local;

/// <summary>
/// The cgroup hierarchies of this host as <c>/proc/self/mountinfo</c> lists them: each v1 controller's
/// mount point (from the super options of "cgroup" mounts) and the unified v2 mount ("cgroup2"), if any.
/// Hybrid hosts have both: v1 mounts for the controllers and a v2 mount without them.
/// A controller can be bound to one hierarchy only, so where it lives is never ambiguous.
/// </summary>
internal sealed record CgroupHierarchies(IReadOnlyDictionary<string, string> V1, string? V2)
{
    private static readonly Lazy<CgroupHierarchies> HostHierarchies = new(() => FromMounts(MountInfo.Read()));

    /// <summary>This host's, read once (hierarchies are mounted at boot, not while the service runs).</summary>
    public static CgroupHierarchies Host => HostHierarchies.Value;

    public static CgroupHierarchies FromMounts(IEnumerable<MountInfo> mounts)
    {
        var v1 = new Dictionary<string, string>(StringComparer.Ordinal);
        var v2 = new List<string>();
        foreach (var mount in mounts)
        {
            if (mount.FileSystemType == "cgroup")
            {
                foreach (var option in mount.SuperOptions.Split(','))
                {
                    v1.TryAdd(option, mount.MountPoint);
                }
            }
            else if (mount.FileSystemType == "cgroup2")
            {
                v2.Add(mount.MountPoint);
            }
        }
        // More than one cgroup2 mount shows the same hierarchy; take the system's own over any other.
        var unified = v2.OrderBy(m => m.StartsWith("/sys/fs/cgroup", StringComparison.Ordinal) ? 0 : 1).FirstOrDefault();
        return new CgroupHierarchies(v1, unified);
    }

    /// <summary>Whether the kernel can mount cgroup2 at all (<c>/proc/filesystems</c>): tells "not mounted" from "not supported".</summary>
    public static bool KernelHasCgroup2()
    {
        try
        {
            return File.ReadLines("/proc/filesystems").Any(l => l.Split('\t').LastOrDefault() == "cgroup2");
        }
        catch (IOException)
        {
            return false;
        }
    }
}
