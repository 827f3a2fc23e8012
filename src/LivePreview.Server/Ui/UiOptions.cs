namespace LivePreview.Ui;

/// <summary>How the dashboard keeps itself current (section <c>LivePreview:Ui</c>).</summary>
public sealed class UiOptions
{
    public const string Section = "LivePreview:Ui";

    /// <summary>How often a page re-reads state when its live event subscription has ended.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often relative times ("3 min ago") are brought up to date.</summary>
    public TimeSpan ClockInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Newest events kept in a sandbox's Activity view.</summary>
    public int ActivityLimit { get; set; } = 300;

    /// <summary>Dev-server log lines shown while a preview starts or after it failed.</summary>
    public int LogLines { get; set; } = 40;

    /// <summary>
    /// Who may frame the dashboard and API pages (CSP frame-ancestors). Only itself by default, so
    /// another site cannot wrap the controls in a clickjacking frame; a platform embedding LivePreview
    /// lists its origin here.
    /// </summary>
    public string FrameAncestors { get; set; } = "'self'";

    internal bool IsValid() =>
        PollInterval > TimeSpan.Zero && ClockInterval > TimeSpan.Zero && ActivityLimit > 0 && LogLines > 0;
}
