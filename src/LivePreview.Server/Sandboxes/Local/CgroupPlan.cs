namespace LivePreview.Sandboxes.Local;

/// <summary>
/// Where each controller is used: v1 when a v1 hierarchy holds it; otherwise v2, once it is enabled in
/// <c>cgroup.subtree_control</c> of the v2 root and of the parent group (the kernel hands a controller
/// only to children of a group that enabled it). <see cref="Missing"/> says, per controller, why neither works.
/// </summary>
internal sealed record CgroupPlan(
    IReadOnlyDictionary<string, string> V1,
    string? V2,
    IReadOnlyList<string> V2Enabled,
    IReadOnlyDictionary<string, string> Missing)
{
    public static CgroupPlan Prepare(CgroupHierarchies host, string parent, IReadOnlyList<string> controllers)
    {
        var v1 = controllers.Where(host.V1.ContainsKey).ToDictionary(c => c, c => host.V1[c], StringComparer.Ordinal);
        var missing = new Dictionary<string, string>(StringComparer.Ordinal);
        var enabled = new List<string>();
        var wanted = controllers.Where(c => !v1.ContainsKey(c)).ToList();
        if (host.V2 is not { } v2)
        {
            var why = CgroupHierarchies.KernelHasCgroup2() ? "no cgroup2 file system is mounted" : "the kernel has no cgroup2";
            foreach (var controller in wanted)
            {
                missing[controller] = $"no cgroup v1 '{controller}' hierarchy is mounted and {why}";
            }
            return new CgroupPlan(v1, null, enabled, missing);
        }
        var group = Path.Join(v2, parent);
        Directory.CreateDirectory(group);
        var offered = ReadList(Path.Join(v2, "cgroup.controllers"));
        foreach (var controller in wanted)
        {
            if (!offered.Contains(controller))
            {
                missing[controller] = $"no cgroup v1 '{controller}' hierarchy is mounted and cgroup v2 at {v2} does not offer it "
                    + $"(cgroup.controllers: '{string.Join(' ', offered)}')";
            }
            else if ((Enable(v2, controller) ?? Enable(group, controller)) is { } failure)
            {
                missing[controller] = failure;
            }
            else
            {
                enabled.Add(controller);
            }
        }
        return new CgroupPlan(v1, v2, enabled, missing);
    }

    /// <summary>Null when the controller is enabled for the group's children; otherwise why not.</summary>
    private static string? Enable(string group, string controller)
    {
        var control = Path.Join(group, "cgroup.subtree_control");
        if (ReadList(control).Contains(controller))
        {
            return null;
        }
        try
        {
            File.WriteAllText(control, "+" + controller);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // EBUSY here is the v2 "no internal processes" rule: the group holds processes itself (a container's root, a service's own group).
            return $"enabling '{controller}' in {control} failed: {e.Message}";
        }
    }

    private static HashSet<string> ReadList(string file)
    {
        try
        {
            return File.ReadAllText(file).Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
