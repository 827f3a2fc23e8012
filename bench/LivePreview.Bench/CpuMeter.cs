using System.Diagnostics;
using System.Globalization;

namespace LivePreview.Bench;

/// <summary>
/// CPU time used by one sandbox's processes (listed by its cgroup v1 <c>pids</c> group) and by this
/// process (the service with its proxy, and the load generator), to tell which side is the bottleneck.
/// </summary>
internal static class CpuMeter
{
    private const double ClockTicksPerSecond = 100; // USER_HZ on Linux.

    public readonly record struct Reading(double SandboxSeconds, double BenchSeconds, TimeSpan At);

    private static readonly Stopwatch Clock = Stopwatch.StartNew();

    public static Reading Read(string sandboxId) =>
        new(SandboxSeconds(sandboxId), Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, Clock.Elapsed);

    /// <summary>CPU seconds used between two readings, and the wall-clock seconds between them.</summary>
    public readonly record struct Usage(double SandboxSeconds, double BenchSeconds, double WallSeconds)
    {
        public static Usage Between(Reading before, Reading after) =>
            new(after.SandboxSeconds - before.SandboxSeconds, after.BenchSeconds - before.BenchSeconds, (after.At - before.At).TotalSeconds);

        public static Usage operator +(Usage a, Usage b) =>
            new(a.SandboxSeconds + b.SandboxSeconds, a.BenchSeconds + b.BenchSeconds, a.WallSeconds + b.WallSeconds);

        /// <summary>"CPU: Vite 97%, bench process 104% of one core".</summary>
        public override string ToString() =>
            $"CPU: Vite {Percent(SandboxSeconds)}, bench process (service + generator) {Percent(BenchSeconds)} of one core";

        private string Percent(double seconds) => (seconds / WallSeconds * 100).ToString("0", CultureInfo.InvariantCulture) + "%";
    }

    private static double SandboxSeconds(string sandboxId)
    {
        var procs = $"/sys/fs/cgroup/pids/livepreview/{sandboxId}/cgroup.procs";
        if (!File.Exists(procs))
        {
            return double.NaN;
        }
        double ticks = 0;
        foreach (var line in File.ReadLines(procs))
        {
            try
            {
                // Fields after the command (which may hold spaces) start at ") "; utime and stime are fields 14 and 15.
                var stat = File.ReadAllText($"/proc/{line.Trim()}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                ticks += double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process exited between listing and reading.
            }
        }
        return ticks / ClockTicksPerSecond;
    }
}
