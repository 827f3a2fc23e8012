using System.Net;
using System.Net.Sockets;
using LivePreview.Sandboxes;
using LivePreview.Sandboxes.Local;

namespace LivePreview.Tests.Sandboxes.Local;

/// <summary>Lifecycle, network and processes of the local provider, against real bubblewrap, overlayfs and network namespaces.</summary>
public sealed class LocalSandboxProviderTests : IAsyncLifetime
{
    private readonly LocalSandboxHarness _harness = new("10.231");

    private LocalSandboxProvider Provider => _harness.Provider;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    [Fact]
    public async Task A_started_server_answers_at_the_sandbox_endpoint_and_not_on_host_loopback()
    {
        var id = await _harness.CreateAsync();
        var port = FreeLoopbackPort();
        await using var server = await _harness.StartServerAsync(id, port);

        var endpoint = (IPEndPoint)await Provider.GetPortEndpointAsync(id, port, LocalSandboxHarness.Timeout);

        Assert.StartsWith("10.231.", endpoint.Address.ToString());
        Assert.Equal("unnamed", await GetAsync(endpoint));
        Assert.False(await AcceptsAsync(new IPEndPoint(IPAddress.Loopback, port)));
    }

    [Fact]
    public async Task Two_sandboxes_can_listen_on_the_same_port()
    {
        var first = await _harness.CreateAsync();
        var second = await _harness.CreateAsync();
        await Provider.Files(first).WriteAsync("name.txt", Text("first"), LocalSandboxHarness.Timeout);
        await Provider.Files(second).WriteAsync("name.txt", Text("second"), LocalSandboxHarness.Timeout);
        await using var one = await _harness.StartServerAsync(first, 5173);
        await using var two = await _harness.StartServerAsync(second, 5173);

        Assert.Equal("first", await GetAsync(await Provider.GetPortEndpointAsync(first, 5173, LocalSandboxHarness.Timeout)));
        Assert.Equal("second", await GetAsync(await Provider.GetPortEndpointAsync(second, 5173, LocalSandboxHarness.Timeout)));
    }

    [Fact]
    public async Task Killing_a_process_takes_its_children_and_grandchildren_with_it()
    {
        var id = await _harness.CreateAsync();
        var (process, marker) = await StartTreeAsync(id);

        await process.KillAsync();

        Assert.Empty(LocalSandboxHarness.HostProcessesWith(marker));
        Assert.True(process.Exited.IsCompleted);
    }

    [Fact]
    public async Task Stopping_a_sandbox_kills_every_process_tree_but_keeps_its_files()
    {
        var id = await _harness.CreateAsync();
        await Provider.Files(id).WriteAsync("kept.txt", Text("kept"), LocalSandboxHarness.Timeout);
        var (first, marker) = await StartTreeAsync(id);
        var (second, otherMarker) = await StartTreeAsync(id);

        await Provider.StopAsync(id, LocalSandboxHarness.Timeout);

        Assert.Empty(LocalSandboxHarness.HostProcessesWith(marker));
        Assert.Empty(LocalSandboxHarness.HostProcessesWith(otherMarker));
        Assert.True(first.Exited.IsCompleted && second.Exited.IsCompleted);
        Assert.NotNull(await Provider.Files(id).StatAsync("kept.txt", LocalSandboxHarness.Timeout));
        Assert.True((await Provider.GetHealthAsync(id, LocalSandboxHarness.Timeout)).Healthy);
    }

    [Fact]
    public async Task Disposing_the_provider_kills_what_it_started()
    {
        var id = await _harness.CreateAsync();
        var (_, marker) = await StartTreeAsync(id);

        await _harness.RestartAsync();

        Assert.Empty(LocalSandboxHarness.HostProcessesWith(marker));
    }

    [Fact]
    public async Task A_process_outlives_the_thread_that_started_it()
    {
        var id = await _harness.CreateAsync();
        ISandboxProcess? process = null;
        // PR_SET_PDEATHSIG (bwrap --die-with-parent) fires when the forking *thread* exits.
        var thread = new Thread(() => process = Provider.StartProcessAsync(id, new SandboxProcessSpec(["sleep", "30"]), LocalSandboxHarness.Timeout).GetAwaiter().GetResult());
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
        var (process, marker) = await StartTreeAsync(id);
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

        var result = await Provider.RunCommandAsync(id, new SandboxProcessSpec(["sh", "-c", "echo started; sleep 30"]), TimeSpan.FromMilliseconds(500), LocalSandboxHarness.Timeout);

        Assert.True(result.TimedOut);
        Assert.Contains("started", result.Output);
    }

    [Fact]
    public async Task Delete_leaves_no_mount_no_network_namespace_no_cgroup_and_no_folder()
    {
        var id = await _harness.CreateAsync();
        var (_, marker) = await StartTreeAsync(id);

        await Provider.DeleteAsync(id, LocalSandboxHarness.Timeout);
        await Provider.DeleteAsync(id, LocalSandboxHarness.Timeout);

        Assert.DoesNotContain(Path.Join(_harness.Root, id), File.ReadAllText("/proc/self/mountinfo"));
        Assert.DoesNotContain($"lp-{id}", await LocalSandboxHarness.RunHostAsync("ip", "netns", "list"));
        Assert.DoesNotContain($"lph{id}", await LocalSandboxHarness.RunHostAsync("ip", "-o", "link"));
        Assert.False(Directory.Exists($"/sys/fs/cgroup/pids/livepreview/{id}"));
        Assert.False(Directory.Exists(Path.Join(_harness.Root, id)));
        Assert.Empty(LocalSandboxHarness.HostProcessesWith(marker));
        Assert.False((await Provider.GetHealthAsync(id, LocalSandboxHarness.Timeout)).Exists);
        Assert.DoesNotContain(id, await Provider.ListAsync(LocalSandboxHarness.Timeout));
    }

    [Fact]
    public async Task Attach_after_a_restart_remounts_and_rebuilds_the_network()
    {
        var id = await _harness.CreateAsync();
        await Provider.Files(id).WriteAsync("src/edited.ts", Text("edited"), LocalSandboxHarness.Timeout);
        await _harness.RestartAsync();
        OverlayMount.Unmount(Path.Join(_harness.Root, id, "merged"));
        await LocalSandboxHarness.RunHostAsync("ip", "netns", "delete", $"lp-{id}");
        Assert.False((await Provider.GetHealthAsync(id, LocalSandboxHarness.Timeout)).Healthy);

        Assert.True(await Provider.AttachAsync(new SandboxSpec(id, _harness.Snapshot), LocalSandboxHarness.Timeout));

        Assert.True((await Provider.GetHealthAsync(id, LocalSandboxHarness.Timeout)).Healthy);
        Assert.Equal([id], await Provider.ListAsync(LocalSandboxHarness.Timeout));
        Assert.Equal("edited", await ReadAsync(Provider.Files(id), "src/edited.ts"));
        await using var server = await _harness.StartServerAsync(id, 3000);
        Assert.Equal("unnamed", await GetAsync(await Provider.GetPortEndpointAsync(id, 3000, LocalSandboxHarness.Timeout)));
    }

    [Fact]
    public async Task Create_is_idempotent_and_attach_of_a_missing_sandbox_is_false()
    {
        var id = await _harness.CreateAsync();

        await Provider.CreateAsync(new SandboxSpec(id, _harness.Snapshot), LocalSandboxHarness.Timeout);

        Assert.True((await Provider.GetHealthAsync(id, LocalSandboxHarness.Timeout)).Healthy);
        Assert.False(await Provider.AttachAsync(new SandboxSpec(SandboxId.New(), _harness.Snapshot), LocalSandboxHarness.Timeout));
    }

    [Fact]
    public async Task An_unknown_sandbox_is_reported_as_not_found()
    {
        var unknown = SandboxId.New();

        await Assert.ThrowsAsync<SandboxNotFoundException>(() => Provider.GetPortEndpointAsync(unknown, 5173, LocalSandboxHarness.Timeout).AsTask());
        await Assert.ThrowsAsync<SandboxNotFoundException>(() => Provider.StartProcessAsync(unknown, new SandboxProcessSpec(["true"]), LocalSandboxHarness.Timeout));
        await Assert.ThrowsAsync<SandboxNotFoundException>(() => Provider.StopAsync(unknown, LocalSandboxHarness.Timeout));
        Assert.Throws<SandboxNotFoundException>(() => Provider.Files(unknown));
        Assert.Throws<SandboxNotFoundException>(() => Provider.Files("../../etc"));
    }

    /// <summary>A node process whose child shell starts two grandchildren in their own session; returns a marker found only in the grandchildren's command lines.</summary>
    private async Task<(ISandboxProcess Process, string Marker)> StartTreeAsync(string id)
    {
        var suffix = Random.Shared.Next(10000, 99999).ToString();
        var script = $$"""
            const { spawn } = require('child_process');
            const seconds = ['1000', '{{suffix}}'].join('.');
            spawn('sh', ['-c', `sleep ${seconds} & sleep ${seconds} & wait`], { stdio: 'ignore', detached: true });
            console.log('spawned');
            setInterval(() => {}, 1000);
            """;
        var process = await Provider.StartProcessAsync(id, new SandboxProcessSpec(["node", "-e", script]), LocalSandboxHarness.Timeout);
        var marker = $"sleep 1000.{suffix}";
        for (var i = 0; i < 500 && LocalSandboxHarness.HostProcessesWith(marker).Count < 2; i++)
        {
            await Task.Delay(10);
        }
        Assert.Equal(2, LocalSandboxHarness.HostProcessesWith(marker).Count);
        return (process, marker);
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<bool> AcceptsAsync(IPEndPoint endpoint)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(endpoint, LocalSandboxHarness.Timeout);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task<string> GetAsync(EndPoint endpoint)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) };
        return await http.GetStringAsync($"http://{endpoint}/");
    }

    private static async Task<string> ReadAsync(ISandboxFileSystem files, string path)
    {
        await using var stream = await files.OpenReadAsync(path, LocalSandboxHarness.Timeout) ?? throw new FileNotFoundException(path);
        return await new StreamReader(stream).ReadToEndAsync();
    }

    private static MemoryStream Text(string text) => new(System.Text.Encoding.UTF8.GetBytes(text));
}
