namespace LivePreview.Tests.Support;

/// <summary>
/// What every multi-instance test gives its instances: one database, a shared admin key and instance secret, fast
/// heartbeats, and — since they all run on this machine — a sandbox address range and firewall table of their own.
/// </summary>
internal static class InstanceSettings
{
    /// <summary>The suite's sandbox range (the first instance's).</summary>
    public static string Prefix => Environment.GetEnvironmentVariable("LivePreview__Sandboxes__Local__SubnetPrefix") ?? "10.213";

    /// <summary>A second instance's range: 40 above the first's second octet.</summary>
    public static string SecondPrefix => "10." + (int.Parse(Prefix.Split('.')[1], System.Globalization.CultureInfo.InvariantCulture) + 40);

    public static string NewSecret() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public static string NewAdminKey(string purpose) => $"lpk_{purpose}-{Guid.NewGuid():N}";

    /// <param name="second">The second instance on this machine (its own range); <paramref name="table"/> names its firewall table.</param>
    public static Dictionary<string, string?> For(string id, bool second, string table, string adminKey, string secret,
        string? postgres = null, string? redis = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["LivePreview:Auth:BootstrapKey"] = adminKey,
            ["LivePreview:Instances:Id"] = id,
            ["LivePreview:Instances:Secret"] = secret,
            ["LivePreview:Instances:HeartbeatInterval"] = "00:00:01",
            ["LivePreview:Instances:LostAfter"] = "00:00:05",
            ["LivePreview:Sandboxes:Local:SubnetPrefix"] = second ? SecondPrefix : Prefix,
            ["LivePreview:Sandboxes:Local:FirewallTable"] = table,
        };
        if (postgres is not null)
        {
            settings["LivePreview:Database:Provider"] = "PostgreSQL";
            settings["ConnectionStrings:LivePreview"] = postgres;
        }
        if (redis is not null)
        {
            settings["ConnectionStrings:Redis"] = redis;
        }
        return settings;
    }
}
