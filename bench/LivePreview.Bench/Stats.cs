using System.Globalization;

namespace LivePreview.Bench;

/// <summary>Percentiles by linear interpolation between closest ranks (numpy's default): with n = 10, p95 lies between the two slowest samples.</summary>
internal static class Stats
{
    public static double Percentile(IReadOnlyCollection<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }
        var sorted = values.Order().ToArray();
        var position = (sorted.Length - 1) * p;
        var lower = (int)Math.Floor(position);
        var upper = (int)Math.Ceiling(position);
        return sorted[lower] + ((sorted[upper] - sorted[lower]) * (position - lower));
    }

    public static double P50(IReadOnlyCollection<double> values) => Percentile(values, 0.50);

    public static double P95(IReadOnlyCollection<double> values) => Percentile(values, 0.95);

    /// <summary>Milliseconds as people read them: "7.1 ms", "412 ms", "2.31 s".</summary>
    public static string Ms(double ms) => double.IsNaN(ms) ? "—" : Math.Abs(ms) switch
    {
        >= 1000 => (ms / 1000).ToString("0.00", CultureInfo.InvariantCulture) + " s",
        >= 100 => ms.ToString("0", CultureInfo.InvariantCulture) + " ms",
        _ => ms.ToString("0.0", CultureInfo.InvariantCulture) + " ms",
    };

    public static string MiB(double bytes) => double.IsNaN(bytes) ? "—" : (bytes / 1024 / 1024).ToString("0", CultureInfo.InvariantCulture) + " MiB";

    public static string SignedMs(double ms) => (ms >= 0 ? "+" : "−") + Ms(Math.Abs(ms));

    public static string Bytes(long bytes) => bytes switch
    {
        >= 1024 * 1024 => (bytes / 1024d / 1024d).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        >= 1024 => (bytes / 1024d).ToString("0", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };

    public static string Number(double value, string format = "0") => value.ToString(format, CultureInfo.InvariantCulture);
}
