namespace LivePreview.Sandboxes;

/// <summary>Sandbox lifecycle settings (section <c>LivePreview:Sandboxes</c>).</summary>
public sealed class SandboxOptions
{
    public const string Section = "LivePreview:Sandboxes";

    /// <summary>Start the framework's dev server and its preview as soon as a sandbox is created.</summary>
    public bool AutoStartPreview { get; set; } = true;

    /// <summary>Sandboxes that may exist at once (running or stopped); creating one more is refused with 429.</summary>
    public int MaxSandboxes { get; set; } = 60;
}
