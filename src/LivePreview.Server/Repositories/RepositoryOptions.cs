namespace LivePreview.Repositories;

/// <summary>Sandboxes made from a repository (section <c>LivePreview:Repositories</c>): clone bounds and dependency layers.</summary>
public sealed class RepositoryOptions
{
    public const string Section = "LivePreview:Repositories";

    /// <summary>Most bytes a clone may take on disk (the checkout and its <c>.git</c>); a bigger one is stopped and refused.</summary>
    public long MaxCloneBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>Longest time a dependency install may take in its build sandbox.</summary>
    public TimeSpan InstallTimeout { get; set; } = TimeSpan.FromMinutes(10);

    public DependencyLayerOptions Layers { get; set; } = new();
}

/// <summary>Eviction of dependency layers (section <c>LivePreview:Repositories:Layers</c>).</summary>
public sealed class DependencyLayerOptions
{
    /// <summary>A layer no sandbox has used for this long is deleted (unless a sandbox still sits on it).</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(14);

    /// <summary>Most megabytes all layers may take; beyond it the least recently used ones no sandbox sits on are deleted.</summary>
    public long MaxTotalMb { get; set; } = 20_480;
}
