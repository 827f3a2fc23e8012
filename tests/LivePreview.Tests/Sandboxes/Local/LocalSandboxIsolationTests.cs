using System.Net;
using System.Net.Sockets;
using LivePreview.Sandboxes.Local;

namespace LivePreview.Tests.Sandboxes.Local;

/// <summary>What code inside a sandbox can see of the host: nothing but /usr, a few /etc files and its own workspace.</summary>
public sealed class LocalSandboxIsolationTests : IAsyncLifetime
{
    private readonly LocalSandboxHarness _harness = new("10.232");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    [Fact]
    public async Task A_sandbox_cannot_list_other_sandboxes_the_data_directory_work_or_root()
    {
        var id = await _harness.CreateAsync();
        var other = await _harness.CreateAsync();
        string[] hostPaths = [Path.Join(_harness.Root, other, "merged"), Path.Join(_harness.Root, other), _harness.Root, _harness.Directory, "/work", "/root", _harness.Snapshot];
        var script = $"for (const p of {System.Text.Json.JsonSerializer.Serialize(hostPaths)}) {{ try {{ require('fs').readdirSync(p); console.log('VISIBLE ' + p); }} catch (e) {{ console.log(e.code + ' ' + p); }} }}";

        var result = await _harness.NodeAsync(id, script);

        Assert.Equal(0, result.ExitCode);
        Assert.DoesNotContain("VISIBLE", result.Output);
        Assert.Equal(hostPaths.Length, result.Output.Split('\n').Count(l => l.StartsWith("ENOENT ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_sandbox_sees_only_its_workspace_usr_and_a_few_etc_files()
    {
        var id = await _harness.CreateAsync();

        var result = await _harness.NodeAsync(id, """
            const fs = require('fs');
            console.log(JSON.stringify({ root: fs.readdirSync('/').sort(), etc: fs.readdirSync('/etc').sort(), app: fs.readdirSync('/app').sort(),
              cwd: process.cwd(), uid: process.getuid(), user: require('os').userInfo().username }));
            """);

        var seen = System.Text.Json.JsonDocument.Parse(result.Output).RootElement;
        // home holds only the sandbox's own HOME (/home/sandbox, outside the workspace).
        Assert.Equal(["app", "bin", "dev", "etc", "home", "lib", "lib64", "proc", "sbin", "tmp", "usr"], seen.GetProperty("root").EnumerateArray().Select(e => e.GetString()).Where(n => n != "lib32" && n != "libx32"));
        Assert.DoesNotContain("shadow", seen.GetProperty("etc").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["server.js", "src"], seen.GetProperty("app").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("/app", seen.GetProperty("cwd").GetString());
        Assert.Equal(1000, seen.GetProperty("uid").GetInt32());
        Assert.Equal("sandbox", seen.GetProperty("user").GetString());
    }

    [Fact]
    public async Task A_sandbox_cannot_reach_services_on_host_loopback()
    {
        var id = await _harness.CreateAsync();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var result = await _harness.NodeAsync(id, $"require('net').connect({port}, '127.0.0.1').on('connect', () => {{ console.log('CONNECTED'); process.exit(0); }}).on('error', e => console.log(e.code));");

        Assert.Equal("ECONNREFUSED", result.Output.Trim());
    }

    [Fact]
    public async Task A_sandbox_has_no_route_beyond_its_own_link()
    {
        var id = await _harness.CreateAsync();

        var result = await _harness.NodeAsync(id, "require('net').connect(80, '1.1.1.1').on('connect', () => console.log('CONNECTED')).on('error', e => console.log(e.code));");

        Assert.Equal("ENETUNREACH", result.Output.Trim());
    }

    [Fact]
    public async Task The_service_environment_never_reaches_a_sandbox()
    {
        Environment.SetEnvironmentVariable("LIVEPREVIEW_TEST_SECRET", "hunter2");
        var id = await _harness.CreateAsync();

        var result = await _harness.Provider.RunCommandAsync(id, new LivePreview.Sandboxes.SandboxProcessSpec(["node", "-e", "console.log(JSON.stringify(process.env))"], new Dictionary<string, string> { ["GIVEN"] = "yes" }),
            TimeSpan.FromSeconds(10), LocalSandboxHarness.Timeout);

        var environment = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(result.Output)!;
        Assert.DoesNotContain("LIVEPREVIEW_TEST_SECRET", environment.Keys);
        Assert.Equal("yes", environment["GIVEN"]);
        Assert.Equal("/tmp", environment["HOME"]);
    }
}
