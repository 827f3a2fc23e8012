using System.Net;
using Microsoft.Extensions.Options;

namespace LivePreview.Sandboxes.Kubernetes;

/// <summary>Sandboxes as pods on a cluster (section <c>LivePreview:Sandboxes:Kubernetes</c>), used when <c>LivePreview:Sandboxes:Provider</c> is <c>Kubernetes</c>.</summary>
public sealed class KubernetesOptions
{
    public const string Section = "LivePreview:Sandboxes:Kubernetes";

    /// <summary>
    /// Path of a kubeconfig file (a secret: it holds the cluster credential); empty uses the in-cluster service account of
    /// the service's own pod. The credential needs pods, pods/exec and networkpolicies in <see cref="Namespace"/> only.
    /// </summary>
    public string KubeConfig { get; set; } = "";

    /// <summary>The kubeconfig context; empty for its current context.</summary>
    public string Context { get; set; } = "";

    /// <summary>The namespace sandbox pods and their network policies live in (a namespace of their own, nothing else in it).</summary>
    public string Namespace { get; set; } = "";

    /// <summary>
    /// Images by framework name (<c>react-vite</c>): the framework snapshot (template, installed <c>node_modules</c>, warmed
    /// caches) baked in at <see cref="WorkspaceDirectory"/>, owned by <see cref="RunAsUser"/>. A framework without one cannot be created.
    /// </summary>
    public Dictionary<string, string> Images { get; set; } = new(StringComparer.Ordinal);

    /// <summary>A RuntimeClass for sandbox pods (<c>gvisor</c>, <c>kata</c>): a kernel of their own for untrusted code. Empty: the node's default runtime.</summary>
    public string RuntimeClassName { get; set; } = "";

    /// <summary>CPU limit (and request) of a sandbox pod, in Kubernetes quantity form.</summary>
    public string Cpu { get; set; } = "1";

    /// <summary>Memory limit (and request) of a sandbox pod.</summary>
    public string Memory { get; set; } = "2Gi";

    /// <summary>Ephemeral storage limit (and request): the workspace's writes, the home volume and logs.</summary>
    public string EphemeralStorage { get; set; } = "4Gi";

    /// <summary>The non-root uid sandbox processes run as (the images' user; <c>node</c> is 1000).</summary>
    public long RunAsUser { get; set; } = 1000;

    /// <summary>The workspace inside the pod (where the image holds the snapshot).</summary>
    public string WorkspaceDirectory { get; set; } = SandboxPaths.Workspace;

    /// <summary>Address ranges the service's pods (the preview proxy, port probes) connect from: the only ingress a sandbox pod accepts.</summary>
    public List<string> IngressCidrs { get; set; } = [];

    /// <summary>The service's sandbox gateway (model gateway, egress and registry proxies) as a CIDR; empty: no gateway egress.</summary>
    public string GatewayCidr { get; set; } = "";

    /// <summary>Ports of <see cref="GatewayCidr"/> a sandbox may connect to.</summary>
    public List<int> GatewayPorts { get; set; } = [];

    /// <summary>Package registries (or their mirror) a sandbox may reach directly, on <see cref="RegistryPorts"/>; empty: none.</summary>
    public List<string> RegistryCidrs { get; set; } = [];

    public List<int> RegistryPorts { get; set; } = [443];

    /// <summary>How long a pod may take to be scheduled, pull its image and run.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>How long a killed process may take to go before its exec stream is closed on it.</summary>
    public TimeSpan KillTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Bytes of output a command run to completion keeps (the last ones).</summary>
    public int CommandOutputLimitBytes { get; set; } = 256 * 1024;

    /// <summary>Lines a started process buffers for a slow reader before the oldest are dropped (unless it asked for lossless output).</summary>
    public int OutputBufferLines { get; set; } = 2000;

    /// <summary>The largest file read through exec.</summary>
    public long MaxFileBytes { get; set; } = 64L * 1024 * 1024;
}

internal sealed class KubernetesOptionsValidator : IValidateOptions<KubernetesOptions>
{
    public ValidateOptionsResult Validate(string? name, KubernetesOptions options)
    {
        var failures = new List<string>();
        var s = KubernetesOptions.Section;
        if (!IsDnsLabel(options.Namespace))
        {
            failures.Add($"{s}:Namespace must name the namespace sandbox pods live in (a DNS label, e.g. livepreview-sandboxes).");
        }
        if (options.KubeConfig.Length > 0 && !File.Exists(options.KubeConfig))
        {
            failures.Add($"{s}:KubeConfig is '{options.KubeConfig}', which is not a file; give a kubeconfig path, or leave it empty inside the cluster.");
        }
        if (options.KubeConfig.Length == 0 && Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST") is null)
        {
            failures.Add($"{s}:KubeConfig is empty and the service does not run in a pod; set it to a kubeconfig path.");
        }
        if (options.Images.Count == 0 || options.Images.Any(i => string.IsNullOrWhiteSpace(i.Value)))
        {
            failures.Add($"{s}:Images needs an image per framework (e.g. {s}:Images:react-vite = registry.example/livepreview/react-vite:1).");
        }
        if (options.RuntimeClassName.Length > 0 && !IsDnsLabel(options.RuntimeClassName))
        {
            failures.Add($"{s}:RuntimeClassName must be a RuntimeClass name (gvisor, kata) or empty.");
        }
        foreach (var (key, value) in new[] { ("Cpu", options.Cpu), ("Memory", options.Memory), ("EphemeralStorage", options.EphemeralStorage) })
        {
            if (!IsQuantity(value))
            {
                failures.Add($"{s}:{key} is '{value}'; give a Kubernetes quantity (e.g. 1, 500m, 2Gi).");
            }
        }
        if (options.IngressCidrs.Count == 0 || !options.IngressCidrs.All(IsCidr))
        {
            failures.Add($"{s}:IngressCidrs must list the CIDRs the service's pods connect from (the only ingress a sandbox pod allows).");
        }
        if ((options.GatewayCidr.Length > 0 && !IsCidr(options.GatewayCidr)) || !options.RegistryCidrs.All(IsCidr))
        {
            failures.Add($"{s}:GatewayCidr and RegistryCidrs must be CIDRs (10.0.0.5/32).");
        }
        if (options.GatewayPorts.Concat(options.RegistryPorts).Any(p => p is < 1 or > 65535) || (options.GatewayCidr.Length > 0 && options.GatewayPorts.Count == 0))
        {
            failures.Add($"{s}:GatewayPorts and RegistryPorts must be TCP ports; a GatewayCidr needs its GatewayPorts.");
        }
        if (!options.WorkspaceDirectory.StartsWith('/') || options.WorkspaceDirectory.Contains("..", StringComparison.Ordinal) || options.RunAsUser <= 0)
        {
            failures.Add($"{s}:WorkspaceDirectory must be an absolute path without '..'; RunAsUser a non-root uid.");
        }
        if (options.StartTimeout <= TimeSpan.Zero || options.KillTimeout <= TimeSpan.Zero || options.CommandOutputLimitBytes <= 0 || options.OutputBufferLines <= 0 || options.MaxFileBytes <= 0)
        {
            failures.Add($"{s}: timeouts and limits must be positive.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsDnsLabel(string value) =>
        value is { Length: > 0 and <= 63 } && char.IsAsciiLetterOrDigit(value[0]) && char.IsAsciiLetterOrDigit(value[^1])
        && value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    private static bool IsCidr(string value) => IPNetwork.TryParse(value, out _);

    private static bool IsQuantity(string value)
    {
        try
        {
            _ = new k8s.Models.ResourceQuantity(value).ToDecimal();
            return value.Length > 0;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
        {
            return false;
        }
    }
}
