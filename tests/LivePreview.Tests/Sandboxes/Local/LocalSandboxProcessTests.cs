using LivePreview.Sandboxes;
using LivePreview.Sandboxes.Local;
using static LivePreview.Tests.Sandboxes.Local.SandboxTestHelpers;

namespace LivePreview.Tests.Sandboxes.Local;

/// <summary>Processes in sandboxes: whole trees die together, limits apply from birth, commands finish or time out.</summary>
public sealed class LocalSandboxProcessTests : IAsyncLifetime
{
    private static readonly CancellationToken Timeout = LocalSandboxHarness.Timeout;
    private readonly LocalSandboxHarness _harness = new("10.234");

    private LocalSandboxProvider Provider => _harness.Provider;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    [Fact]
    public async Task Killing_a_process_takes_its_children_and_grandchildren_with_it()
    {
        var id = await _harness.CreateAsync();
        var (process, marker) = await _harness.StartTreeAsync(id);

        await process.KillAsync();

        Assert.Empty(LocalSandboxHarness.HostProcessesWith(marker));
        Assert.Equal(137, await process.Exited);
    }

    [Fact]
    public async Task Stopping_a_sandbox_kills_every_process_tree_but_keeps_its_files()
    {
        var id = await _harness.CreateAsync();
        await Provider.Files(id).WriteAsync("kept.txt", Text("kept"), Timeout);
        var (first, marker) = await _harness.StartTreeAsync(id);
        var (second, otherMarker) = await _harness.StartTreeAsync(id);

        await Provider.StopAsync(id, Timeout);

        Assert.Empty(LocalSandboxHarness.HostProcessesWith(marker));
        Assert.Empty(LocalSandboxHarness.HostProcessesWith(otherMarker));
        Assert.True(first.Exited.IsCompleted && second.Exited.IsCompleted);
        Assert.Equal("kept", await ReadAsync(Provider.Files(id), "kept.txt"));
        Assert.True((await Provider.GetHealthAsync(id, Timeout)).Healthy);
    }

    [Fact]
    public async Task Disposing_the_provider_kills_what_it_started()
    {
        var id = await _harness.CreateAsync();
        var (_, marker) = await _harness.StartTreeAsync(id);

        await _harness.RestartAsync();

        Assert.Empty(LocalSandboxHarness.HostProcessesWith(marker));
    }

    [Fact]
    public async Task A_process_outlives_the_thread_that_started_it()
    {
        var id = await _harness.CreateAsync();
        ISandboxProcess? process = null;
        // bwrap --die-with-parent is PR_SET_PDEATHSIG, which fires when the forking *thread* exits.
        var thread = new Thread(() => process = Provider.StartProcessAsync(id, new SandboxProcessSpec(["sleep", "30"]), Timeout).GetAwaiter().GetResult());
        thread.Start();
        thread.Join();

        await Task.Delay(TimeSpan.FromSeconds(1));

        Assert.False(process!.Exited.IsCompleted);
        await process.KillAsync();
    }

    [Fact]
    public async Task Processes_are_born_inside_the_sandbox_cgroups()
    {
        var id = await _harness.CreateAsync();
        var (process, marker) = await _harness.StartTreeAsync(id);
        if (!File.Exists("/sys/fs/cgroup/pids/cgroup.procs"))
        {
            // Without cgroup v1 controllers the provider runs without limits (this machine and CI have them).
            Assert.Empty(CgroupLimits.Existing(id));
            return;
        }

        var group = $"/sys/fs/cgroup/pids/livepreview/{id}";
        var members = File.ReadAllLines(Path.Join(group, "cgroup.procs")).Select(int.Parse).ToHashSet();

        Assert.Equal("1024", File.ReadAllText(Path.Join(group, "pids.max")).Trim());
        Assert.Equal((2048L * 1024 * 1024).ToString(), File.ReadAllText($"/sys/fs/cgroup/memory/livepreview/{id}/memory.limit_in_bytes").Trim());
        Assert.All(LocalSandboxHarness.HostProcessesWith(marker), pid => Assert.Contains(pid, members));
        Assert.Contains(process.ProcessId, members);
    }

    [Fact]
    public async Task Run_command_returns_the_exit_code_and_the_merged_output()
    {
        var id = await _harness.CreateAsync();

        var result = await _harness.NodeAsync(id, "console.log('out'); console.error('err'); process.exit(3)");

        Assert.Equal(3, result.ExitCode);
        Assert.False(result.TimedOut);
        Assert.Contains("out", result.Output);
        Assert.Contains("err", result.Output);
    }

    [Fact]
    public async Task Run_command_kills_a_command_that_outlives_its_timeout()
    {
        var id = await _harness.CreateAsync();

        var result = await Provider.RunCommandAsync(id, new SandboxProcessSpec(["sh", "-c", "echo started; sleep 30"]), TimeSpan.FromMilliseconds(500), Timeout);

        Assert.True(result.TimedOut);
        Assert.Contains("started", result.Output);
    }

    [Fact]
    public async Task Run_command_keeps_the_tail_of_a_long_output()
    {
        var id = await _harness.CreateAsync();

        var result = await _harness.NodeAsync(id, "for (let i = 0; i < 200000; i++) console.log('line ' + i);");

        Assert.InRange(result.Output.Length, 1000, _harness.Options.CommandOutputLimitBytes + 100);
        Assert.StartsWith("[earlier output dropped]", result.Output);
        Assert.EndsWith("line 199999", result.Output);
    }

    [Fact]
    public async Task A_command_runs_in_the_given_working_directory_with_the_given_environment()
    {
        var id = await _harness.CreateAsync();

        var result = await Provider.RunCommandAsync(id, new SandboxProcessSpec(["sh", "-c", "pwd; echo $GREETING"], new Dictionary<string, string> { ["GREETING"] = "hello" }, "src"),
            TimeSpan.FromSeconds(10), Timeout);

        Assert.Equal("/app/src\nhello", result.Output);
    }
}
