namespace LivePreview.Prototypes.Screenshots;

/// <summary>Checkpoint screenshots (section <c>LivePreview:Prototypes:Screenshots</c>): a PNG of the preview after each prompt and restore.</summary>
public sealed class ScreenshotOptions
{
    public const string Section = "LivePreview:Prototypes:Screenshots";

    /// <summary>Take screenshots. They are also off, with the reason logged once, when there is no Chromium or the service is not root (it cannot drop to <see cref="RunAsUid"/>).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The Chromium binary; null means <c>/usr/bin/chromium</c> when it exists.</summary>
    public string? ChromiumPath { get; set; }

    /// <summary>The viewport, in CSS pixels (the PNG has this size).</summary>
    public int Width { get; set; } = 1280;

    public int Height { get; set; } = 800;

    /// <summary>Hard limit for one screenshot, Chromium start to exit; its whole process tree is killed after it.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the page may run (virtual time: timers, fetches) before the picture is taken.</summary>
    public TimeSpan PageBudget { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>After a checkpoint, how long to let the dev server's hot update reach the page before the screenshot.</summary>
    public TimeSpan SettleDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Largest PNG kept, in bytes; a bigger one is a failure.</summary>
    public int MaxBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>
    /// The unprivileged host user (and group) Chromium runs as, dedicated to one LivePreview instance (after each capture every
    /// process of this user is killed). Not the sandboxes' host user: that one owns every
    /// sandbox's writable layer, and a page that broke out of Chromium must not reach them.
    /// </summary>
    public int RunAsUid { get; set; } = 99998;

    public int RunAsGid { get; set; } = 99998;

    /// <summary>Where the PNGs are kept; null means <c>{LivePreview:DataDirectory}/screenshots</c>.</summary>
    public string? Directory { get; set; }

    public string? ResolveChromium() =>
        ChromiumPath ?? (File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium" : null);

    public IEnumerable<string> Validate(int sandboxHostUid)
    {
        if (Width is < 100 or > 4096 || Height is < 100 or > 4096)
        {
            yield return $"{Section}:Width and Height must lie between 100 and 4096.";
        }
        if (Timeout <= TimeSpan.Zero || PageBudget <= TimeSpan.Zero || PageBudget >= Timeout || SettleDelay < TimeSpan.Zero)
        {
            yield return $"{Section}:Timeout and PageBudget must be positive, PageBudget below Timeout, SettleDelay not negative.";
        }
        if (MaxBytes <= 0)
        {
            yield return $"{Section}:MaxBytes must be positive.";
        }
        if (RunAsUid <= 0 || RunAsGid <= 0 || RunAsUid == sandboxHostUid)
        {
            yield return $"{Section}:RunAsUid and RunAsGid must be positive (Chromium never runs as root) and RunAsUid not the sandboxes' HostUid ({sandboxHostUid}).";
        }
        if (ChromiumPath is { } path && !Path.IsPathFullyQualified(path))
        {
            yield return $"{Section}:ChromiumPath must be an absolute path.";
        }
    }
}
