using System.Globalization;

namespace LivePreview.Sandboxes.Local;

internal sealed partial class CgroupLimits
{
    /// <summary>
    /// How many of the sandbox's processes the OOM killer ended for its memory limit: <c>oom_kill</c> of v1's
    /// <c>memory.oom_control</c> (kernel 4.13+) or v2's <c>memory.events</c>, whichever hierarchy holds the memory
    /// controller; null when neither counts (no memory controller, or no group for the sandbox).
    /// </summary>
    public static long? OomKills(string sandboxId)
    {
        foreach (var group in Existing(sandboxId))
        {
            foreach (var file in new[] { "memory.oom_control", "memory.events" })
            {
                if (ReadCounter(Path.Join(group, file), "oom_kill") is { } count)
                {
                    return count;
                }
            }
        }
        return null;
    }

    /// <summary>The value of the <c>{key} {n}</c> line of a cgroup file, or null when the file or the line is not there.</summary>
    private static long? ReadCounter(string path, string key)
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                var parts = line.Split(' ', 2);
                if (parts.Length == 2 && parts[0] == key && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                {
                    return value;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone with its sandbox, or a file this kernel does not have.
        }
        return null;
    }
}
