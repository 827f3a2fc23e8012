namespace LivePreview.Snapshots;

/// <summary>Where snapshots live and how they are built (section <c>LivePreview:Snapshots</c>).</summary>
public sealed class SnapshotOptions
{
    public const string Section = "LivePreview:Snapshots";

    /// <summary>Folder holding the built snapshots; null means <c>{DataDirectory}/snapshots</c>.</summary>
    public string? Root { get; set; }

    /// <summary>
    /// The npm executable that runs <c>npm ci</c> inside the build's sandbox (a name on the sandbox's PATH,
    /// <c>/usr/local/bin:/usr/bin:/bin</c>, or a full path under <c>/usr</c>); the host runs it only for
    /// <c>npm config get registry</c> when <see cref="Registry"/> is not set.
    /// </summary>
    public string NpmCommand { get; set; } = "npm";

    /// <summary>
    /// The package registry <c>npm ci</c> installs from, the only host the build's sandbox may reach
    /// (through the egress proxy). Null means what <c>npm config get registry</c> says on the host when
    /// the first build starts. Registries that need credentials are not supported: no secret enters the sandbox.
    /// </summary>
    public string? Registry { get; set; }

    /// <summary>Longest time <c>npm ci</c> may take before the build fails.</summary>
    public TimeSpan BuildTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Longest time the dev server inside the temporary sandbox may take to warm the dep-optimizer cache.</summary>
    public TimeSpan WarmUpTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How many superseded snapshots of each framework to keep besides the current one (sandboxes may still sit on them).</summary>
    public int KeepOldSnapshots { get; set; } = 1;

    /// <summary>
    /// Start the dev server once in a temporary sandbox so the snapshot carries Vite's optimized deps
    /// (FIELD-NOTES: the page is ready in ~0.6 s instead of ~1 s). Off only where no sandbox provider works.
    /// </summary>
    public bool WarmDepCache { get; set; } = true;
}
