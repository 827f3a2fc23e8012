namespace LivePreview.Hosting;

/// <summary>Settings shared by every feature, bound from the <c>LivePreview</c> configuration section.</summary>
public sealed class LivePreviewOptions
{
    public const string Section = "LivePreview";

    /// <summary>Where the database, snapshots and workspaces live. Relative paths are resolved against the current directory.</summary>
    public string DataDirectory { get; set; } = ".data";

    /// <summary>Folder holding the framework templates (package.json + lock file). Defaults to <c>templates/</c> found next to the app or above it.</summary>
    public string? TemplatesDirectory { get; set; }

    public string ResolveDataDirectory() => Path.GetFullPath(DataDirectory);
}
