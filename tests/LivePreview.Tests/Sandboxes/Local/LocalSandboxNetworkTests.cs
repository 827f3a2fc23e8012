using System.Net;
using LivePreview.Sandboxes.Local;
using static LivePreview.Tests.Sandboxes.Local.SandboxTestHelpers;

namespace LivePreview.Tests.Sandboxes.Local;

/// <summary>Each sandbox has its own network namespace and address: servers inside are reached there, and only there.</summary>
public sealed class LocalSandboxNetworkTests : IAsyncLifetime
{
    private static readonly CancellationToken Timeout = LocalSandboxHarness.Timeout;
    private readonly LocalSandboxHarness _harness = new("10.235");

    private LocalSandboxProvider Provider => _harness.Provider;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    [Fact]
    public async Task A_started_server_answers_at_the_sandbox_endpoint_and_not_on_host_loopback()
    {
        var id = await _harness.CreateAsync();
        var port = FreeLoopbackPort();
        await using var server = await _harness.StartServerAsync(id, port);

        var endpoint = (IPEndPoint)await Provider.GetPortEndpointAsync(id, port, Timeout);

        Assert.StartsWith("10.235.", endpoint.Address.ToString());
        Assert.Equal("unnamed", await GetAsync(endpoint));
        Assert.False(await AcceptsAsync(new IPEndPoint(IPAddress.Loopback, port)));
    }

    [Fact]
    public async Task Two_sandboxes_can_listen_on_the_same_port()
    {
        var first = await _harness.CreateAsync();
        var second = await _harness.CreateAsync();
        await Provider.Files(first).WriteAsync("name.txt", Text("first"), Timeout);
        await Provider.Files(second).WriteAsync("name.txt", Text("second"), Timeout);
        await using var one = await _harness.StartServerAsync(first, 5173);
        await using var two = await _harness.StartServerAsync(second, 5173);

        Assert.Equal("first", await GetAsync(await Provider.GetPortEndpointAsync(first, 5173, Timeout)));
        Assert.Equal("second", await GetAsync(await Provider.GetPortEndpointAsync(second, 5173, Timeout)));
    }

    [Fact]
    public async Task A_sandbox_cannot_reach_another_sandbox()
    {
        var first = await _harness.CreateAsync();
        var second = await _harness.CreateAsync();
        await using var server = await _harness.StartServerAsync(second, 5173);
        var target = (IPEndPoint)await Provider.GetPortEndpointAsync(second, 5173, Timeout);

        var result = await _harness.NodeAsync(first, $"require('net').connect(5173, '{target.Address}').on('connect', () => {{ console.log('CONNECTED'); process.exit(0); }}).on('error', e => console.log(e.code));");

        Assert.Equal("ENETUNREACH", result.Output.Trim());
    }

    [Fact]
    public async Task A_sandbox_cannot_connect_to_a_host_service_listening_on_all_addresses()
    {
        var id = await _harness.CreateAsync();
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Any, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var sandbox = (IPEndPoint)await Provider.GetPortEndpointAsync(id, port, Timeout);
        var hostEnd = new IPAddress(sandbox.Address.GetAddressBytes().Select((b, i) => i == 3 ? (byte)(b - 1) : b).ToArray());

        var result = await _harness.NodeAsync(id, $"require('net').connect({port}, '{hostEnd}').setTimeout(1500, () => {{ console.log('TIMEOUT'); process.exit(0); }}).on('connect', () => {{ console.log('CONNECTED'); process.exit(0); }}).on('error', e => console.log(e.code));");

        // Refused in one of the ways a dropped or rejected connection looks: not merely "anything but CONNECTED" (a crash is not a refusal).
        Assert.Equal(0, result.ExitCode);
        Assert.Contains(result.Output.Trim(), new[] { "TIMEOUT", "ECONNREFUSED", "EHOSTUNREACH" });
        Assert.False(listener.Pending(), "the host's listener got a connection from the sandbox");
    }

    [Fact]
    public async Task Creating_a_sandbox_adds_no_ipv6_address_that_would_change_the_host_network_later()
    {
        var id = await _harness.CreateAsync();
        await Task.Delay(2500);

        var info = new System.Diagnostics.ProcessStartInfo("ip") { RedirectStandardOutput = true };
        foreach (var arg in new[] { "-6", "addr", "show", "dev", $"lph{id}" })
        {
            info.ArgumentList.Add(arg);
        }
        using var ip = System.Diagnostics.Process.Start(info)!;
        var output = await ip.StandardOutput.ReadToEndAsync();
        await ip.WaitForExitAsync();

        Assert.Equal(0, ip.ExitCode);
        Assert.DoesNotContain("inet6", output);
    }
}
