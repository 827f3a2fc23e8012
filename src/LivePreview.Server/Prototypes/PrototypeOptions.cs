namespace LivePreview.Prototypes;

/// <summary>Prototyping sessions (section <c>LivePreview:Prototypes</c>).</summary>
public sealed class PrototypeOptions
{
    public const string Section = "LivePreview:Prototypes";

    /// <summary>Longest prompt accepted, in characters.</summary>
    public int MaxPromptLength { get; set; } = 20_000;

    /// <summary>Automatic fix turns after a turn leaves build or runtime errors in the preview.</summary>
    public int MaxFixAttempts { get; set; } = 2;

    /// <summary>How long after a turn to wait for the dev server to report the update or an error.</summary>
    public TimeSpan SettleTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>After the dev server's first word on a turn, how long to wait for follow-up lines (an error often comes just after "hmr update").</summary>
    public TimeSpan SettleGrace { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Largest export bundle (the sandbox writes it, the host copies it into its own temp folder) in bytes.</summary>
    public long MaxExportBytes { get; set; } = 256L * 1024 * 1024;

    // Git credentials moved to LivePreview:Git:Credentials (per host); the old GitToken/GitUser settings fail start-up.
}
