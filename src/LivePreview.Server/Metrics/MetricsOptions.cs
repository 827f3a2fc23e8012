namespace LivePreview.Metrics;

/// <summary>
/// <c>LivePreview:Metrics</c>: how many distinct repositories <c>/metrics</c> names (a hostile user creating sandboxes from
/// thousands of remotes must not blow up the series count), and how much history the dashboard's Previews card reads.
/// </summary>
public sealed class MetricsOptions
{
    public const string Section = "LivePreview:Metrics";

    /// <summary>Distinct <c>repository</c> tag values per process; repositories seen after these are tagged <c>other</c>.</summary>
    public int MaxRepositories { get; set; } = 20;

    /// <summary>The Previews card reads sandboxes, tasks and events of this long ago at most.</summary>
    public TimeSpan DashboardWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Availability is measured over the last this many finished frontend tasks.</summary>
    public int DashboardTasks { get; set; } = 50;

    /// <summary>Time to preview and install time are measured over the newest this many sandboxes.</summary>
    public int DashboardSandboxes { get; set; } = 500;

    /// <summary>Repositories the card lists (the ones with most sandboxes).</summary>
    public int DashboardRepositories { get; set; } = 5;

    internal bool IsValid() =>
        MaxRepositories >= 0 && DashboardWindow > TimeSpan.Zero && DashboardTasks > 0 && DashboardSandboxes > 0 && DashboardRepositories > 0;
}
