using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace LivePreview.WarmPool;

/// <summary>
/// Resident memory of a pooled sandbox: the sum of VmRSS of its processes, cached for
/// <see cref="WarmPoolOptions.MemorySampleAge"/> and refreshed by the health pass, so a metrics scrape or
/// an API call only reads the cache. The processes are those of the sandbox's cgroup (no process to
/// start), else those in its network namespace (<c>ip netns pids lp-{id}</c>).
/// This knows the local provider's names; with a second provider it belongs behind ISandboxProvider.
/// Shared pages (the node binary) count in every sandbox, so the sum slightly overstates the cost of one more.
/// </summary>
internal sealed class SandboxMemory(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Sample> _samples = new(StringComparer.Ordinal);

    public long? Cached(string sandboxId) => _samples.TryGetValue(sandboxId, out var s) ? s.Bytes : null;

    public void Forget(string sandboxId) => _samples.TryRemove(sandboxId, out _);

    public async Task RefreshAsync(string sandboxId, TimeSpan maxAge, CancellationToken cancellationToken)
    {
        if (_samples.TryGetValue(sandboxId, out var sample) && time.GetUtcNow() - sample.At < maxAge)
        {
            return;
        }
        var pids = CgroupProcesses(sandboxId) ?? await NamespaceProcessesAsync(sandboxId, cancellationToken);
        _samples[sandboxId] = new Sample(pids.Sum(ResidentBytes), time.GetUtcNow());
    }

    /// <summary>MemAvailable of the machine in bytes, or null where /proc/meminfo does not say.</summary>
    public static long? AvailableOnMachine()
    {
        try
        {
            return File.ReadLines("/proc/meminfo").Where(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal)).Select(KilobytesOf).FirstOrDefault();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static IReadOnlyList<int>? CgroupProcesses(string sandboxId)
    {
        var procs = Path.Join("/sys/fs/cgroup/memory/livepreview", sandboxId, "cgroup.procs");
        try
        {
            return File.ReadAllLines(procs).Select(l => int.TryParse(l, CultureInfo.InvariantCulture, out var pid) ? pid : 0).Where(p => p > 0).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static async Task<IReadOnlyList<int>> NamespaceProcessesAsync(string sandboxId, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "netns", "pids", $"lp-{sandboxId}" })
        {
            start.ArgumentList.Add(argument);
        }
        try
        {
            using var process = Process.Start(start);
            if (process is null)
            {
                return [];
            }
            var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(l => int.TryParse(l, CultureInfo.InvariantCulture, out var pid) ? pid : 0).Where(p => p > 0).ToList();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return [];
        }
    }

    /// <summary>VmRSS from /proc/{pid}/status; 0 for a process that has just exited or a kernel thread.</summary>
    private static long ResidentBytes(int pid)
    {
        try
        {
            return File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Select(KilobytesOf).FirstOrDefault();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private static long KilobytesOf(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;

    private sealed record Sample(long Bytes, DateTimeOffset At);
}
