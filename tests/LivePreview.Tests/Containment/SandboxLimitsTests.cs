using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LivePreview.Sandboxes.Local;
using LivePreview.Tests.Sandboxes.Local;

namespace LivePreview.Tests.Containment;

/// <summary>
/// Hostile code inside a real sandbox against its limits: disk, memory, processes, CPU. Each limit
/// is small here so reaching it is quick; the host must come out of each attempt unharmed.
/// </summary>
public sealed class SandboxLimitsTests : IAsyncLifetime
{
    private const int DiskLimitMb = 64;
    private const int MemoryLimitMb = 128;
    private const int PidsLimit = 48;
    private const double CpuLimit = 0.2;

    private readonly LocalSandboxHarness _harness = new("10.243", o =>
    {
        o.DiskLimitMb = DiskLimitMb;
        o.MemoryLimitMb = MemoryLimitMb;
        o.PidsLimit = PidsLimit;
        o.CpuLimit = CpuLimit;
    });

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    [Fact]
    public async Task Writing_zeros_past_the_disk_limit_stops_with_ENOSPC_and_the_data_directory_stays_writable()
    {
        var id = await _harness.CreateAsync();

        var result = await _harness.RunAsync(id, "sh", "-c", "dd if=/dev/zero of=/app/big bs=1M count=1000; echo dd=$?; stat -c size=%s /app/big");

        Assert.Contains("No space left on device", result.Output);
        Assert.Contains("dd=1", result.Output);
        var size = long.Parse(result.Output.Split('\n').Single(l => l.StartsWith("size=", StringComparison.Ordinal))[5..], CultureInfo.InvariantCulture);
        Assert.InRange(size, 1, DiskLimitMb * 1024L * 1024L);
        var image = Path.Join(_harness.Root, id, "disk.img");
        Assert.True(new FileInfo(image).Length == DiskLimitMb * 1024L * 1024L);
        var hostFile = Path.Join(_harness.Directory, "still-writable");
        await File.WriteAllBytesAsync(hostFile, new byte[1024 * 1024]);
        Assert.Equal(1024 * 1024, new FileInfo(hostFile).Length);
    }

    [Fact]
    public async Task A_deleted_sandbox_leaves_no_loop_device_and_no_image()
    {
        var id = await _harness.CreateAsync();
        var image = Path.Join(_harness.Root, id, "disk.img");
        Assert.Single(WorkspaceDisk.LoopDevicesBackedBy(image));

        await _harness.Provider.DeleteAsync(id, LocalSandboxHarness.Timeout);

        Assert.Empty(WorkspaceDisk.LoopDevicesBackedBy(image));
        Assert.False(Directory.Exists(Path.Join(_harness.Root, id)));
    }

    [Fact]
    public async Task After_a_restart_attach_mounts_the_disk_again_and_the_files_on_it_are_back()
    {
        var id = await _harness.CreateAsync();
        await _harness.RunAsync(id, "sh", "-c", "echo kept > /app/kept.txt");
        await _harness.RestartAsync();
        var layout = new SandboxLayout(_harness.Root, id);
        // As a reboot would: the binds for bubblewrap (workspace and HOME), the overlay and the image all gone.
        HomeBind.Remove(_harness.Root, id);
        WorkspaceBind.Remove(_harness.Root, id);
        OverlayMount.Unmount(layout.Merged);
        WorkspaceDisk.Unmount(layout);
        Assert.Empty(WorkspaceDisk.LoopDevicesBackedBy(layout.DiskImage));

        Assert.True(await _harness.Provider.AttachAsync(new LivePreview.Sandboxes.SandboxSpec(id, _harness.Snapshot), LocalSandboxHarness.Timeout));

        Assert.Single(WorkspaceDisk.LoopDevicesBackedBy(layout.DiskImage));
        Assert.Equal("kept", (await _harness.RunAsync(id, "cat", "/app/kept.txt")).Output.Trim());
        Assert.False(File.Exists(Path.Join(layout.Disk, "upper", "kept.txt")) && !OverlayMount.IsMounted(layout.Disk));
    }

    [Fact]
    public async Task Allocating_past_the_memory_limit_gets_the_process_killed_and_the_sandbox_lives_on()
    {
        var id = await _harness.CreateAsync();

        var result = await _harness.NodeAsync(id, "const a = []; for (let i = 0; i < 64; i++) { a.push(Buffer.alloc(16 << 20, 1)); console.log('MiB ' + (i + 1) * 16); } console.log('SURVIVED');");

        Assert.DoesNotContain("SURVIVED", result.Output);
        Assert.NotEqual(0, result.ExitCode);
        Assert.True(OomKills(id) >= 1, $"no OOM kill counted; exit {result.ExitCode}: {result.Output}");
        Assert.Equal("alive", (await _harness.RunAsync(id, "echo", "alive")).Output.Trim());
    }

    [Fact]
    public async Task Filling_the_private_tmp_is_bounded_by_the_memory_limit_not_by_host_memory()
    {
        var id = await _harness.CreateAsync();

        // /tmp is a tmpfs: its pages are charged to the sandbox's memory group, which has no swap to push them to.
        var result = await _harness.RunAsync(id, "sh", "-c", "dd if=/dev/zero of=/tmp/big bs=1M count=1000 2>&1; echo dd=$?; stat -c size=%s /tmp/big");

        Assert.DoesNotContain("dd=0", result.Output);
        Assert.True(OomKills(id) >= 1 || result.Output.Contains("No space left on device"), result.Output);
        var sizeLine = result.Output.Split('\n').SingleOrDefault(l => l.StartsWith("size=", StringComparison.Ordinal));
        if (sizeLine is not null)
        {
            Assert.InRange(long.Parse(sizeLine[5..], CultureInfo.InvariantCulture), 0, MemoryLimitMb * 1024L * 1024L);
        }
    }

    [Fact]
    public async Task A_fork_bomb_hits_the_pids_limit_with_EAGAIN_and_the_host_still_starts_processes()
    {
        var id = await _harness.CreateAsync();

        var result = await _harness.NodeAsync(id, """
            const { spawn } = require('child_process');
            const children = []; let refused = 0; const codes = new Set();
            for (let i = 0; i < 200; i++) {
              try { const c = spawn('sleep', ['60'], { stdio: 'ignore' }); c.on('error', e => { refused++; codes.add(e.code); }); children.push(c); }
              catch (e) { refused++; codes.add(e.code); }
            }
            setTimeout(() => { const running = children.filter(c => c.pid).length; children.forEach(c => c.kill('SIGKILL'));
              console.log(JSON.stringify({ running, refused, codes: [...codes] })); }, 500);
            """);

        var seen = JsonDocument.Parse(result.Output.Trim().Split('\n').Last()).RootElement;
        Assert.Contains("EAGAIN", seen.GetProperty("codes").EnumerateArray().Select(c => c.GetString()));
        Assert.InRange(seen.GetProperty("running").GetInt32(), 1, PidsLimit - 1);
        Assert.True(seen.GetProperty("refused").GetInt32() > 0);
        using var host = Process.Start(new ProcessStartInfo("true"))!;
        await host.WaitForExitAsync();
        Assert.Equal(0, host.ExitCode);
    }

    [Fact]
    public async Task The_cpu_limit_is_written_and_two_busy_loops_get_no_more_than_their_quota_per_period()
    {
        var id = await _harness.CreateAsync();
        var quota = (long)(CpuLimit * 100_000);
        Assert.Equal(quota, CpuQuota(id));

        var result = await _harness.RunAsync(id, "sh", "-c", "timeout 1 sh -c 'while :; do :; done' & timeout 1 sh -c 'while :; do :; done' & wait; echo done");

        Assert.Contains("done", result.Output);
        var (periods, throttled, usageMicroseconds) = CpuCounters(id);
        Assert.True(throttled > 0, $"never throttled in {periods} periods");
        // The quota is per period: usage can exceed periods × quota only by the scheduler's slack (one slice per CPU).
        Assert.True(usageMicroseconds <= (periods + 2) * quota * 1.1, $"{usageMicroseconds} µs used in {periods} periods of {quota} µs");
        Assert.True(usageMicroseconds > 0);
    }

    private static IEnumerable<string> Groups(string id) => CgroupLimits.Existing(id);

    private static long OomKills(string id)
    {
        foreach (var group in Groups(id))
        {
            foreach (var file in new[] { "memory.oom_control", "memory.events" })
            {
                var path = Path.Join(group, file);
                if (File.Exists(path) && File.ReadLines(path).FirstOrDefault(l => l.StartsWith("oom_kill ", StringComparison.Ordinal)) is { } line)
                {
                    return long.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
                }
            }
        }
        return 0;
    }

    private static long CpuQuota(string id)
    {
        foreach (var group in Groups(id))
        {
            if (File.Exists(Path.Join(group, "cpu.cfs_quota_us")))
            {
                return long.Parse(File.ReadAllText(Path.Join(group, "cpu.cfs_quota_us")).Trim(), CultureInfo.InvariantCulture);
            }
            if (File.Exists(Path.Join(group, "cpu.max")))
            {
                return long.Parse(File.ReadAllText(Path.Join(group, "cpu.max")).Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }
        throw new InvalidOperationException("No cpu group for " + id);
    }

    /// <summary>Periods and throttled periods from the group with the cpu controller; CPU time from any cpu.stat that counts it (v2's, on every host with a cgroup2 mount).</summary>
    private static (long Periods, long Throttled, long UsageMicroseconds) CpuCounters(string id)
    {
        long periods = 0, throttled = 0, usage = 0;
        foreach (var group in Groups(id))
        {
            var stat = Path.Join(group, "cpu.stat");
            if (!File.Exists(stat))
            {
                continue;
            }
            var values = File.ReadLines(stat).Select(l => l.Split(' ')).Where(f => f.Length == 2)
                .ToDictionary(f => f[0], f => long.Parse(f[1], CultureInfo.InvariantCulture));
            periods = Math.Max(periods, values.GetValueOrDefault("nr_periods"));
            throttled = Math.Max(throttled, values.GetValueOrDefault("nr_throttled"));
            usage = Math.Max(usage, values.GetValueOrDefault("usage_usec"));
        }
        return (periods, throttled, usage);
    }
}
