using System.Globalization;

namespace LivePreview.PoolBench;

/// <summary>Percentiles by linear interpolation between closest ranks (numpy's default).</summary>
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

    /// <summary>"7.1 ms", "412 ms", "2.31 s"; "—" for no value.</summary>
    public static string Ms(double ms) => double.IsNaN(ms) ? "—" : Math.Abs(ms) switch
    {
        >= 1000 => (ms / 1000).ToString("0.00", CultureInfo.InvariantCulture) + " s",
        >= 100 => ms.ToString("0", CultureInfo.InvariantCulture) + " ms",
        _ => ms.ToString("0.0", CultureInfo.InvariantCulture) + " ms",
    };

    public static string MiB(double bytes) => double.IsNaN(bytes) ? "—" : (bytes / 1024 / 1024).ToString("0", CultureInfo.InvariantCulture) + " MiB";

    public static string Number(double value, string format = "0") => value.ToString(format, CultureInfo.InvariantCulture);
}
