using LivePreview.Egress;
using LivePreview.Events;
using LivePreview.Snapshots;
using LivePreview.Tests.Sandboxes.Local;
using LivePreview.Tests.Snapshots;

namespace LivePreview.Tests.Egress;

/// <summary>Real sandboxes talking to the real egress proxy; the only outside target is the configured package registry.</summary>
public sealed class EgressProxyTests : IAsyncLifetime
{
    /// <summary>Speaks to the proxy on the sandbox's own loopback: CONNECT, then (on 200) a TLS handshake and one request through the tunnel.</summary>
    private const string ConnectScript = """
        const net = require('net'), tls = require('tls'), fs = require('fs');
        const caFile = '/etc/ssl/certs/ca-certificates.crt';
        const [target, port] = [process.argv[1], Number(process.argv[2])];
        const host = target.startsWith('[') ? target.slice(1, target.indexOf(']')) : target.split(':')[0];
        const socket = net.connect(port, '127.0.0.1');
        socket.on('error', e => { console.log('ERROR ' + e.code); process.exit(0); });
        socket.on('connect', () => socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`));
        let head = '';
        socket.on('data', function onData(chunk) {
          head += chunk.toString('latin1');
          const end = head.indexOf('\r\n\r\n');
          if (end < 0) return;
          socket.removeListener('data', onData);
          const status = head.split('\r\n')[0];
          console.log('STATUS ' + status);
          if (!status.includes(' 200 ')) { console.log('BODY ' + head.slice(end + 4).trim()); process.exit(0); }
          const secure = tls.connect({ socket, servername: host, ca: fs.existsSync(caFile) ? [...tls.rootCertificates, fs.readFileSync(caFile)] : undefined }, () => {
            console.log('TLS OK');
            secure.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
          });
          secure.once('data', d => { console.log('HTTP ' + d.toString().split('\r\n')[0]); process.exit(0); });
          secure.on('error', e => { console.log('TLS ERROR ' + e.code); process.exit(0); });
        });
        setTimeout(() => { console.log('TIMEOUT'); process.exit(0); }, 20000);
        """;

    private readonly LocalSandboxHarness _harness = new("10.240", ownFirewallTable: true);
    private readonly RecordingEventBus _events = new();
    private EgressProxy _egress = null!;
    private Uri _registry = null!;

    public async Task InitializeAsync()
    {
        _egress = TinyTemplates.NewEgress(_harness.Provider, _events);
        _registry = await new NpmRegistry(new SnapshotOptions()).GetAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _egress.DisposeAsync();
        await _harness.DisposeAsync();
    }

    private string RegistryTarget => $"{_registry.Host}:{_registry.Port}";

    [Fact]
    public async Task A_sandbox_granted_the_registry_tunnels_to_it_and_gets_403_for_any_other_host()
    {
        var id = await _harness.CreateAsync();
        await _egress.GrantAsync(id, [new EgressTarget(_registry.Host, _registry.Port)], CancellationToken.None);

        var registry = await ConnectAsync(id, RegistryTarget);
        var other = await ConnectAsync(id, "not-the-registry.invalid:443");

        Assert.Contains("STATUS HTTP/1.1 200", registry);
        Assert.True(registry.Contains("TLS OK", StringComparison.Ordinal), registry);
        Assert.Contains("HTTP HTTP/1.1", registry);
        Assert.Contains("STATUS HTTP/1.1 403", other);
        Assert.Contains("not allowed for this sandbox", other);
    }

    [Fact]
    public async Task A_sandbox_without_a_grant_has_no_proxy_to_talk_to()
    {
        var id = await _harness.CreateAsync();

        var output = await ConnectAsync(id, RegistryTarget);

        Assert.Contains("ERROR ECONNREFUSED", output);
    }

    [Fact]
    public async Task A_grant_of_nothing_answers_403_for_everything()
    {
        var id = await _harness.CreateAsync();
        await _egress.GrantAsync(id, [], CancellationToken.None);

        Assert.Contains("STATUS HTTP/1.1 403", await ConnectAsync(id, RegistryTarget));
        Assert.Contains("STATUS HTTP/1.1 403", await ConnectAsync(id, "127.0.0.1:443"));
    }

    [Fact]
    public async Task A_granted_name_that_resolves_to_loopback_and_a_granted_private_address_are_refused()
    {
        var id = await _harness.CreateAsync();
        await _egress.GrantAsync(id, [new EgressTarget("localhost"), new EgressTarget("169.254.169.254", 80)], CancellationToken.None);

        var loopback = await ConnectAsync(id, "localhost:443");
        var metadata = await ConnectAsync(id, "169.254.169.254:80");

        Assert.Contains("STATUS HTTP/1.1 403", loopback);
        Assert.Contains("does not resolve to a public address", loopback);
        Assert.Contains("STATUS HTTP/1.1 403", metadata);
    }

    [Fact]
    public async Task Revoking_closes_the_proxy_of_the_sandbox()
    {
        var id = await _harness.CreateAsync();
        await using (await _egress.GrantAsync(id, [new EgressTarget(_registry.Host, _registry.Port)], CancellationToken.None))
        {
            Assert.Contains("STATUS HTTP/1.1 200", await ConnectAsync(id, RegistryTarget));
        }

        Assert.Contains("ERROR ECONNREFUSED", await ConnectAsync(id, RegistryTarget));
    }

    [Fact]
    public async Task Refusals_are_published_as_events_naming_the_sandbox_and_the_target()
    {
        var id = await _harness.CreateAsync();
        await _egress.GrantAsync(id, [], CancellationToken.None);

        await ConnectAsync(id, "not-the-registry.invalid:443");

        var refused = Assert.Single(_events.OfType(EventTypes.EgressRefused));
        Assert.Equal(id, refused.SandboxId);
        Assert.Equal("not-the-registry.invalid:443", refused.Payload!.Value.GetProperty("target").GetString());
    }

    [Fact]
    public async Task A_sandbox_over_its_connection_limit_gets_429_while_its_open_tunnel_keeps_working()
    {
        var egress = TinyTemplates.NewEgress(_harness.Provider, _events, new EgressOptions { MaxConnectionsPerSandbox = 1 });
        await using var _ = egress;
        var id = await _harness.CreateAsync();
        await egress.GrantAsync(id, [new EgressTarget(_registry.Host, _registry.Port)], CancellationToken.None);
        const string script = """
            const net = require('net');
            const [target, port] = [process.argv[1], Number(process.argv[2])];
            const open = (then) => {
              const s = net.connect(port, '127.0.0.1', () => s.write(`CONNECT ${target} HTTP/1.1\r\n\r\n`));
              s.once('data', d => then(s, d.toString().split('\r\n')[0]));
            };
            open((first, status1) => {
              console.log('FIRST ' + status1);
              open((second, status2) => { console.log('SECOND ' + status2); first.destroy(); second.destroy(); process.exit(0); });
            });
            setTimeout(() => { console.log('TIMEOUT'); process.exit(0); }, 20000);
            """;

        var output = (await _harness.RunAsync(id, "node", "-e", script, RegistryTarget, new EgressOptions().SandboxPort.ToString())).Output;

        Assert.Contains("FIRST HTTP/1.1 200", output);
        Assert.Contains("SECOND HTTP/1.1 429", output);
    }

    private async Task<string> ConnectAsync(string sandboxId, string target)
    {
        var result = await _harness.RunAsync(sandboxId, "node", "-e", ConnectScript, target, new EgressOptions().SandboxPort.ToString());
        return result.Output;
    }
}
