using LivePreview.Sandboxes;
using LivePreview.Sandboxes.Kubernetes;
using LivePreview.Tests.Sandboxes.Local;
using LivePreview.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LivePreview.Tests.Sandboxes.Contract;

/// <summary>
/// The provider contract against <see cref="FakeKubernetes"/> (the Kubernetes API on 127.0.0.1, each pod a real local sandbox),
/// through KubernetesClient; then what only Kubernetes has: the pod spec's isolation, the network policy, phases as health.
/// </summary>
public sealed class KubernetesContractTests : SandboxTerminalContract
{
    private const string Framework = "contract";
    private const string Image = "registry.test/livepreview/contract:1";
    private string _snapshot = null!;
    private readonly List<string> _created = [];
    private FakeKubernetes _kube = null!;
    private KubernetesOptions _options = null!;
    private KubernetesSandboxProvider _provider = null!;

    protected override ISandboxProvider Provider => _provider;

    public override async Task InitializeAsync()
    {
        _snapshot = await WriteSnapshotAsync(Framework);
        _kube = await FakeKubernetes.StartAsync(new Dictionary<string, string> { [Image] = _snapshot });
        _options = new KubernetesOptions
        {
            KubeConfig = _kube.KubeConfigPath,
            Namespace = FakeKubernetes.Namespace,
            Images = { [Framework] = Image },
            RuntimeClassName = "gvisor",
            Cpu = "500m",
            Memory = "1Gi",
            EphemeralStorage = "3Gi",
            IngressCidrs = ["10.0.0.0/8"],
            GatewayCidr = "10.96.0.10/32",
            GatewayPorts = [8088],
            RegistryCidrs = ["192.0.2.0/24"],
            KillTimeout = TimeSpan.FromSeconds(10),
        };
        Assert.True(new KubernetesOptionsValidator().Validate(null, _options).Succeeded);
        NewProvider();
    }

    public override async Task DisposeAsync()
    {
        try
        {
            foreach (var id in _created)
            {
                await _provider.DeleteAsync(id, Timeout);
            }
        }
        finally
        {
            _provider.Dispose();
            // The fake's teardown removes every pod's sandbox (mounts, network namespace, processes) whatever the deletes did.
            await _kube.DisposeAsync();
            Directory.Delete(Path.GetDirectoryName(_snapshot)!, recursive: true);
        }
    }

    protected override string NewId()
    {
        var id = SandboxId.New();
        _created.Add(id);
        return id;
    }

    protected override SandboxSpec Spec(string id) => new(id, _snapshot);

    protected override Task RestartAsync()
    {
        _provider.Dispose();
        NewProvider();
        return Task.CompletedTask;
    }

    // Every pod has its own network (its sandbox's): a fixed port never collides.
    protected override int ServerPort() => 8123;

    [Fact]
    public async Task The_pod_carries_the_limits_the_runtime_class_and_no_token()
    {
        var id = await CreateAsync();

        var pod = _kube.Pod(KubernetesObjects.PodName(id))!;
        var spec = pod.Spec;
        var container = Assert.Single(spec.Containers);
        Assert.Equal(id, pod.Metadata.Labels[KubernetesObjects.SandboxLabel]);
        Assert.Equal((false, false, "gvisor", "Never"), (spec.AutomountServiceAccountToken, spec.EnableServiceLinks, spec.RuntimeClassName, spec.RestartPolicy));
        Assert.Equal(Image, container.Image);
        Assert.Equal(("500m", "1Gi", "3Gi"), (container.Resources.Limits["cpu"].ToString(), container.Resources.Limits["memory"].ToString(), container.Resources.Limits["ephemeral-storage"].ToString()));
        Assert.Equal(container.Resources.Limits.Keys.Order(), container.Resources.Requests.Keys.Order());
        Assert.Equal((true, false), (spec.SecurityContext.RunAsNonRoot, container.SecurityContext.AllowPrivilegeEscalation));
        Assert.Equal(["ALL"], container.SecurityContext.Capabilities.Drop);
        Assert.Equal("RuntimeDefault", spec.SecurityContext.SeccompProfile.Type);
        var env = await Provider.RunCommandAsync(id, new SandboxProcessSpec(["sh", "-c", "env; ls /var/run/secrets/kubernetes.io 2>&1"]), TimeSpan.FromSeconds(60), Timeout);
        Assert.DoesNotContain("KUBERNETES_SERVICE", env.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(_kube.Token, env.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_network_policy_selects_the_pod_allows_only_the_gateway_registries_and_dns_and_goes_with_it()
    {
        var id = await CreateAsync();
        var name = KubernetesObjects.PodName(id);

        var policy = _kube.Policy(name)!.Spec;
        Assert.Equal(id, policy.PodSelector.MatchLabels[KubernetesObjects.SandboxLabel]);
        Assert.Equal(["Ingress", "Egress"], policy.PolicyTypes);
        Assert.Equal(["10.0.0.0/8"], policy.Ingress.Single().FromProperty.Select(p => p.IpBlock.Cidr));
        var egress = policy.Egress.SelectMany(r => r.To.Where(t => t.IpBlock is not null).Select(t => t.IpBlock.Cidr)).ToList();
        Assert.Equal(["10.96.0.10/32", "192.0.2.0/24"], egress);
        Assert.Contains(policy.Egress, r => r.To.Any(t => t.PodSelector?.MatchLabels["k8s-app"] == "kube-dns") && r.Ports.All(p => p.Port.Value == "53"));
        Assert.DoesNotContain(policy.Egress, r => r.To is null || r.To.Count == 0);

        await Provider.DeleteAsync(id, Timeout);

        Assert.Null(_kube.Policy(name));
        Assert.Null(_kube.Pod(name));
    }

    [Fact]
    public async Task A_pod_whose_container_died_is_unhealthy_and_is_not_attached()
    {
        var id = await CreateAsync();

        await _kube.KillContainerAsync(KubernetesObjects.PodName(id));

        var deadline = DateTime.UtcNow.AddSeconds(60);
        SandboxHealth health;
        while ((health = await Provider.GetHealthAsync(id, Timeout)).Healthy && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        Assert.Equal((true, false), (health.Exists, health.Healthy));
        Assert.Contains("Failed", health.Detail);
        Assert.False(await Provider.AttachAsync(Spec(id), Timeout));
    }

    [Fact]
    public async Task The_provider_waits_with_a_watch_and_execs_on_v5()
    {
        var id = await CreateAsync();

        Assert.True(_kube.Watches > 0);
        // One read before the watch (and the watch resumed, if ever, with one more), never a poll loop of reads.
        Assert.InRange(_kube.Requests.Count(r => r == $"GET /api/v1/namespaces/{FakeKubernetes.Namespace}/pods/{KubernetesObjects.PodName(id)}"), 1, 2);
        await Provider.RunCommandAsync(id, new SandboxProcessSpec(["true"]), TimeSpan.FromSeconds(30), Timeout);
        Assert.All(_kube.ExecProtocols, p => Assert.Equal("v5.channel.k8s.io", p));
    }

    [Fact]
    public async Task A_port_something_listens_on_in_the_pod_is_detected_at_the_pod_ip()
    {
        var id = await CreateAsync();
        var ports = Assert.IsAssignableFrom<ISandboxPorts>(Provider);
        Assert.DoesNotContain(await ports.ListListeningAsync(id, Timeout), s => s.Port == 8123);

        await using var server = await StartServerAsync(id, 8123);

        Assert.Contains(await ports.ListListeningAsync(id, Timeout), s => s.Port == 8123);
        Assert.Equal(_kube.Pod(KubernetesObjects.PodName(id))!.Status.PodIP, ports.AddressOf(id)?.ToString());
    }

    [Fact]
    public async Task A_process_gets_its_stdin_and_its_end()
    {
        var id = await CreateAsync();

        await using var process = await Provider.StartProcessAsync(id, new SandboxProcessSpec(["sh", "-c", "read name; echo hello $name; cat"], OpenInput: true), Timeout);
        await process.Input!.WriteAsync("otter\nrest\n"u8.ToArray());
        await process.Input.DisposeAsync();
        var lines = new List<string>();
        await foreach (var line in process.ReadOutputAsync(Timeout))
        {
            lines.Add(line);
        }

        Assert.Equal(["hello otter", "rest"], lines);
        Assert.Equal(0, await process.Exited.WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_terminal_is_a_tty_exec_with_the_sandboxs_environment_and_none_of_the_services()
    {
        var id = await CreateAsync();
        await using var terminal = await Provider.StartTerminalAsync(id, new SandboxTerminalSpec(100, 30), Timeout);
        var output = new MemoryStream();
        var reading = terminal.Stream.CopyToAsync(output);

        await terminal.Stream.WriteAsync("env; exit 0\r"u8.ToArray());

        Assert.Equal(0, await terminal.Exited.WaitAsync(Timeout));
        await reading.WaitAsync(Timeout);
        var env = System.Text.Encoding.UTF8.GetString(output.ToArray());
        Assert.Contains("TERM=xterm-256color", env, StringComparison.Ordinal);
        Assert.DoesNotContain("KUBERNETES_SERVICE", env, StringComparison.Ordinal);
        Assert.DoesNotContain(_kube.Token, env, StringComparison.Ordinal);
        // The library writes booleans as 1 and 0.
        var exec = Assert.Single(_kube.Requests, r => r.Contains("/exec?", StringComparison.Ordinal) && r.Contains("&tty=1", StringComparison.Ordinal));
        Assert.Contains("&stdin=1", exec, StringComparison.Ordinal);
        Assert.Contains("&stderr=0", exec, StringComparison.Ordinal);
        // The first size went over the resize channel as kubectl sends it.
        Assert.Contains((100, 30), _kube.Resizes);
    }

    [Fact]
    public async Task Binary_files_round_trip_byte_for_byte()
    {
        var id = await CreateAsync();
        var bytes = Enumerable.Range(0, 70_000).Select(i => (byte)(i * 7 % 256)).ToArray();

        await Provider.Files(id).WriteAsync("bin/data.bin", new MemoryStream(bytes), Timeout);

        await using var read = await Provider.Files(id).OpenReadAsync("bin/data.bin", Timeout);
        using var copy = new MemoryStream();
        await read!.CopyToAsync(copy);
        Assert.Equal(bytes, copy.ToArray());
    }

    [Fact]
    public async Task What_Kubernetes_cannot_do_is_a_provider_limit_not_a_crash()
    {
        var id = await CreateAsync();

        await Assert.ThrowsAsync<SandboxProviderLimitException>(() => Provider.CreateAsync(new SandboxSpec(NewId(), _snapshot, [Path.GetTempPath()]), Timeout));
        await Assert.ThrowsAsync<SandboxProviderLimitException>(() => Provider.CreateAsync(new SandboxSpec(NewId(), Path.Join(Path.GetTempPath(), "vue-vite-123456789012")), Timeout));
    }

    [Fact]
    public async Task A_stranger_without_the_token_gets_a_401_status_from_the_fake()
    {
        using var http = new HttpClient();
        var response = await http.GetAsync(new Uri(_kube.Server, "/api/v1/namespaces/lp-sandboxes/pods"), Timeout);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("\"kind\":\"Status\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private void NewProvider() =>
        _provider = new KubernetesSandboxProvider(Options.Create(_options), TimeProvider.System, NullLogger<KubernetesSandboxProvider>.Instance);
}
