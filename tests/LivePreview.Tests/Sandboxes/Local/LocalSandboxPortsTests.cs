using System.Net;
using LivePreview.Sandboxes;
using LivePreview.Sandboxes.Local;

namespace LivePreview.Tests.Sandboxes.Local;

/// <summary>The local provider's port detection reads the listening sockets of each sandbox's own network namespace, and only those.</summary>
public sealed class LocalSandboxPortsTests : IAsyncLifetime
{
    private static readonly CancellationToken Timeout = LocalSandboxHarness.Timeout;
    private readonly LocalSandboxHarness _harness = new("10.204");

    private LocalSandboxProvider Provider => _harness.Provider;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    [Fact]
    public async Task Each_sandbox_lists_its_own_listeners_with_their_addresses_and_a_killed_one_is_gone()
    {
        var first = await _harness.CreateAsync();
        var second = await _harness.CreateAsync();
        await using var server = await _harness.StartServerAsync(first, 5173);
        await using var loopback = await StartAsync(second,
            "require('net').createServer().listen(4000, '127.0.0.1', () => console.log('listening')); setInterval(() => {}, 1000);");
        await using var v6 = await StartAsync(second,
            "require('net').createServer().listen(3001, '::', () => console.log('listening')); setInterval(() => {}, 1000);");

        // Alternating between the two namespaces: every read enters the namespace it names.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(new[] { new ListeningSocket(IPAddress.Any, 5173) }, await Provider.ListListeningAsync(first, Timeout));
            var inSecond = await Provider.ListListeningAsync(second, Timeout);
            Assert.Contains(new ListeningSocket(IPAddress.Loopback, 4000), inSecond);
            Assert.Contains(new ListeningSocket(IPAddress.IPv6Any, 3001), inSecond);
            Assert.DoesNotContain(inSecond, s => s.Port == 5173);
        }
        Assert.Equal(((IPEndPoint)await Provider.GetPortEndpointAsync(first, 5173, Timeout)).Address, Provider.AddressOf(first));

        await server.KillAsync();

        Assert.Empty(await Provider.ListListeningAsync(first, Timeout));
    }

    [Fact]
    public async Task A_stopped_sandbox_has_no_listeners_and_an_unknown_one_is_not_found()
    {
        var id = await _harness.CreateAsync();
        await using (await _harness.StartServerAsync(id, 5173))
        {
            Assert.Single(await Provider.ListListeningAsync(id, Timeout));
        }
        await Provider.StopAsync(id, Timeout);

        Assert.Empty(await Provider.ListListeningAsync(id, Timeout));
        await Assert.ThrowsAsync<SandboxNotFoundException>(async () => await Provider.ListListeningAsync("../etc", Timeout));
    }

    private async Task<ISandboxProcess> StartAsync(string id, string script)
    {
        var process = await Provider.StartProcessAsync(id, new SandboxProcessSpec(["node", "-e", script]), Timeout);
        await foreach (var line in process.ReadOutputAsync(Timeout))
        {
            if (line.Contains("listening", StringComparison.Ordinal))
            {
                return process;
            }
        }
        throw new InvalidOperationException("The listener did not start.");
    }
}
