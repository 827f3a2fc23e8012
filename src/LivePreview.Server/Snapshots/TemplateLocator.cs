namespace LivePreview.Snapshots;

/// <summary>
/// Finds the folder holding the framework templates (<c>templates/{framework}/package.json</c>): the configured one, else
/// the copy every build and publish output ships beside the binary (<c>{AppContext.BaseDirectory}/templates</c>, see the
/// csproj), else one above the current directory (a checkout).
/// </summary>
internal static class TemplateLocator
{
    /// <summary>Every templates folder has this one; it tells ours apart from any other folder named templates.</summary>
    private static readonly string Marker = Path.Combine("react-vite", "package.json");

    public static string Find(string? configured) =>
        Find(configured, [AppContext.BaseDirectory, Directory.GetCurrentDirectory()]);

    public static string Find(string? configured, IEnumerable<string> searchFrom)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var full = Path.GetFullPath(configured);
            return Directory.Exists(full)
                ? full
                : throw new SnapshotException($"The templates folder '{full}' (LivePreview:TemplatesDirectory) does not exist.");
        }
        var starts = searchFrom.Select(Path.GetFullPath).Distinct().ToList();
        return starts.Select(SearchUpward).FirstOrDefault(found => found is not null)
            ?? throw new SnapshotException(
                $"No templates folder found: none of the folders above {string.Join(" or ", starts)} holds templates/{Marker.Replace('\\', '/')}. "
                + "Set LivePreview:TemplatesDirectory, or run a build or publish output of the service (it ships templates/ beside the binary).");
    }

    private static string? SearchUpward(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "templates");
            if (File.Exists(Path.Combine(candidate, Marker)))
            {
                return candidate;
            }
        }
        return null;
    }
}
