namespace LivePreview.Grants;

/// <summary>How long preview grants live (section <c>LivePreview:Grants</c>).</summary>
public sealed class GrantOptions
{
    public const string Section = "LivePreview:Grants";

    /// <summary>The lifetime of a grant whose request gives no <c>expires_in_seconds</c>.</summary>
    public TimeSpan DefaultLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The shortest lifetime a grant may ask for.</summary>
    public TimeSpan MinLifetime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The longest lifetime a grant may ask for (share links included).</summary>
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The lifetime of the grants the dashboard makes for its own Preview tab and prototype page (renewed before they end).</summary>
    public TimeSpan DashboardLifetime { get; set; } = TimeSpan.FromMinutes(30);

    public bool IsValid(out string error)
    {
        error = "";
        if (MinLifetime <= TimeSpan.Zero || MaxLifetime < MinLifetime)
        {
            error = "LivePreview:Grants:MinLifetime must be positive and not above MaxLifetime.";
        }
        else if (DefaultLifetime < MinLifetime || DefaultLifetime > MaxLifetime || DashboardLifetime < MinLifetime || DashboardLifetime > MaxLifetime)
        {
            error = "LivePreview:Grants:DefaultLifetime and DashboardLifetime must lie between MinLifetime and MaxLifetime.";
        }
        return error.Length == 0;
    }
}
