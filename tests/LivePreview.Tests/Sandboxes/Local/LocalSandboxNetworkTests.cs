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
        // The one host address a sandbox has a route to (its only neighbour), through its own veth.
        var hostEnd = SandboxSubnet.HostAddress("10.235");

        var result = await _harness.NodeAsync(id, $"require('net').connect({port}, '{hostEnd}').setTimeout(1500, () => {{ console.log('TIMEOUT'); process.exit(0); }}).on('connect', () => {{ console.log('CONNECTED'); process.exit(0); }}).on('error', e => console.log(e.code));");

        // Refused in one of the ways a dropped or rejected connection looks: not merely "anything but CONNECTED" (a crash is not a refusal).
        Assert.Equal(0, result.ExitCode);
        Assert.Contains(result.Output.Trim(), new[] { "TIMEOUT", "ECONNREFUSED", "EHOSTUNREACH" });
        Assert.False(listener.Pending(), "the host's listener got a connection from the sandbox");
    }

    [Fact]
    public async Task Creating_a_sandbox_adds_no_host_address_now_or_later_and_the_host_end_has_none()
    {
        await _harness.CreateAsync(); // the prefix's one host address (on lo) exists from the first sandbox on
        var before = HostAddressesOutsideLoopback();
        var id = await _harness.CreateAsync();
        await Task.Delay(2500); // the kernel would add an IPv6 link-local address about a second after "up"

        // A host address appearing is what makes Chromium on this host abort every in-flight request (ERR_NETWORK_CHANGED).
        Assert.Empty(HostAddressesOutsideLoopback().Except(before));
        var hostEnd = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces().Single(i => i.Name == $"lph{id}");
        Assert.Empty(hostEnd.GetIPProperties().UnicastAddresses);
        Assert.Contains(SandboxSubnet.HostAddress("10.235").ToString(), NetworkNamespace.AddressesInUse());
        Assert.Contains(((IPEndPoint)await Provider.GetPortEndpointAsync(id, 80, Timeout)).Address.ToString(), NetworkNamespace.AddressesInUse());
    }

    /// <summary>This harness's prefix only: other runs on the machine may change their own addresses meanwhile.</summary>
    private static HashSet<string> HostAddressesOutsideLoopback() =>
        System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.NetworkInterfaceType != System.Net.NetworkInformation.NetworkInterfaceType.Loopback)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses.Select(a => $"{i.Name} {a.Address}"))
            .Where(a => a.Contains(" 10.235.", StringComparison.Ordinal))
            .ToHashSet(StringComparer.Ordinal);
}
