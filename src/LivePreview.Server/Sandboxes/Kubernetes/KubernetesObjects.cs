using k8s.Models;

namespace LivePreview.Sandboxes.Kubernetes;

/// <summary>The pod and the network policy that make one sandbox, and the names and labels that find them again.</summary>
internal static class KubernetesObjects
{
    /// <summary>Carries our sandbox id on the pod and its policy: an attach, a list and the policy's selector use it.</summary>
    public const string SandboxLabel = "livepreview.dev/sandbox";
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedBy = "livepreview";
    public const string Container = "sandbox";

    public static string PodName(string sandboxId) => $"lp-{sandboxId}";

    public static string? SandboxIdOf(V1Pod pod) =>
        pod.Metadata?.Labels?.TryGetValue(SandboxLabel, out var id) == true && SandboxId.IsValid(id) ? id : null;

    public static V1Pod Pod(string sandboxId, string image, KubernetesOptions options)
    {
        var limits = new Dictionary<string, ResourceQuantity>
        {
            ["cpu"] = new(options.Cpu),
            ["memory"] = new(options.Memory),
            ["ephemeral-storage"] = new(options.EphemeralStorage),
        };
        return new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = PodName(sandboxId), Labels = Labels(sandboxId) },
            Spec = new V1PodSpec
            {
                // A sandbox must never hold a credential to the cluster, nor learn the namespace's services from its environment.
                AutomountServiceAccountToken = false,
                EnableServiceLinks = false,
                RestartPolicy = "Never",
                RuntimeClassName = options.RuntimeClassName is { Length: > 0 } runtime ? runtime : null,
                TerminationGracePeriodSeconds = 5,
                SecurityContext = new V1PodSecurityContext
                {
                    RunAsNonRoot = true,
                    RunAsUser = options.RunAsUser,
                    RunAsGroup = options.RunAsUser,
                    FsGroup = options.RunAsUser,
                    SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
                },
                Containers =
                [
                    new V1Container
                    {
                        Name = Container,
                        Image = image,
                        // The container's pid 1 only keeps the pod alive; every process of the sandbox comes through exec.
                        Command = ["sleep", "infinity"],
                        WorkingDir = options.WorkspaceDirectory,
                        Env = [new V1EnvVar { Name = "HOME", Value = SandboxPaths.Home }],
                        Resources = new V1ResourceRequirements { Limits = limits, Requests = new Dictionary<string, ResourceQuantity>(limits) },
                        SecurityContext = new V1SecurityContext
                        {
                            AllowPrivilegeEscalation = false,
                            Privileged = false,
                            RunAsNonRoot = true,
                            Capabilities = new V1Capabilities { Drop = ["ALL"] },
                            SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
                        },
                        VolumeMounts = [new V1VolumeMount { Name = "home", MountPath = SandboxPaths.Home }],
                    },
                ],
                Volumes = [new V1Volume { Name = "home", EmptyDir = new V1EmptyDirVolumeSource() }],
            },
        };
    }

    /// <summary>
    /// Ingress only from the service's pods; egress only to the gateway, the registries and the cluster's DNS. Everything
    /// else (the internet, the API server, other pods, the node) is denied because the policy selects the pod for both directions.
    /// </summary>
    public static V1NetworkPolicy Policy(string sandboxId, KubernetesOptions options)
    {
        var egress = new List<V1NetworkPolicyEgressRule>
        {
            new()
            {
                To = [new V1NetworkPolicyPeer
                {
                    NamespaceSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = "kube-system" } },
                    PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["k8s-app"] = "kube-dns" } },
                }],
                Ports = [new V1NetworkPolicyPort { Protocol = "UDP", Port = 53 }, new V1NetworkPolicyPort { Protocol = "TCP", Port = 53 }],
            },
        };
        if (options.GatewayCidr.Length > 0)
        {
            egress.Add(Rule([options.GatewayCidr], options.GatewayPorts));
        }
        if (options.RegistryCidrs.Count > 0)
        {
            egress.Add(Rule(options.RegistryCidrs, options.RegistryPorts));
        }
        return new V1NetworkPolicy
        {
            ApiVersion = "networking.k8s.io/v1",
            Kind = "NetworkPolicy",
            Metadata = new V1ObjectMeta { Name = PodName(sandboxId), Labels = Labels(sandboxId) },
            Spec = new V1NetworkPolicySpec
            {
                PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [SandboxLabel] = sandboxId } },
                PolicyTypes = ["Ingress", "Egress"],
                Ingress = [new V1NetworkPolicyIngressRule { FromProperty = [.. options.IngressCidrs.Select(c => new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = c } })] }],
                Egress = egress,
            },
        };
    }

    private static V1NetworkPolicyEgressRule Rule(IEnumerable<string> cidrs, IEnumerable<int> ports) => new()
    {
        To = [.. cidrs.Select(c => new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = c } })],
        Ports = [.. ports.Select(p => new V1NetworkPolicyPort { Protocol = "TCP", Port = p })],
    };

    private static Dictionary<string, string> Labels(string sandboxId) => new() { [SandboxLabel] = sandboxId, [ManagedByLabel] = ManagedBy };
}
