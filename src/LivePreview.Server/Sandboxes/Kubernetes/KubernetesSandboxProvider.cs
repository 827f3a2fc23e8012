using System.Collections.Concurrent;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace LivePreview.Sandboxes.Kubernetes;

/// <summary>
/// Sandboxes as pods (<see cref="KubernetesObjects"/>): one pod and one NetworkPolicy per sandbox, both named after our id and
/// labelled with it, so an attach after a restart (or from another instance) finds them and nothing is kept on this machine.
/// Processes, terminals, commands and files go through the exec API (argv only, <see cref="ExecCommand"/>); a port is the pod's IP.
/// </summary>
internal sealed partial class KubernetesSandboxProvider : ISandboxProvider, IDisposable
{
    private readonly IKubernetes _client;
    private readonly KubernetesOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ISandboxEnvironment[] _environments;
    private readonly ConcurrentDictionary<string, IPAddress> _addresses = new(StringComparer.Ordinal);
    // Per sandbox, every process and terminal this instance started, each with its kill (Stop and Delete run them all).
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<object, Func<Task>>> _processes = new(StringComparer.Ordinal);

    public KubernetesSandboxProvider(IOptions<KubernetesOptions> options, TimeProvider time, ILogger<KubernetesSandboxProvider> logger,
        IEnumerable<ISandboxEnvironment>? environments = null)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
        _environments = environments?.ToArray() ?? [];
        _client = CreateClient(_options);
    }

    public string Name => "kubernetes";

    private string Namespace => _options.Namespace;

    public async Task CreateAsync(SandboxSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var image = ImageFor(spec);
        var id = spec.SandboxId;
        // The policy first: a pod must never run for a moment without it.
        await CreateIgnoringConflictAsync(() => _client.NetworkingV1.CreateNamespacedNetworkPolicyAsync(KubernetesObjects.Policy(id, _options), Namespace, cancellationToken: cancellationToken));
        if (await CreateIgnoringConflictAsync(() => _client.CoreV1.CreateNamespacedPodAsync(KubernetesObjects.Pod(id, image, _options), Namespace, cancellationToken: cancellationToken)))
        {
            KubernetesLog.Created(_logger, id, KubernetesObjects.PodName(id), image);
        }
        await WaitRunningAsync(id, cancellationToken);
    }

    /// <summary>Finds the pod by name; a pod that ended (Failed, Succeeded) or is being deleted took its workspace with it.</summary>
    public async Task<bool> AttachAsync(SandboxSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var pod = await ReadPodAsync(spec.SandboxId, cancellationToken);
        if (pod is null || pod.Metadata.DeletionTimestamp is not null || pod.Status?.Phase is "Failed" or "Succeeded")
        {
            return false;
        }
        await WaitRunningAsync(spec.SandboxId, cancellationToken);
        return true;
    }

    public async Task StopAsync(string sandboxId, CancellationToken cancellationToken)
    {
        await KillOwnAsync(sandboxId);
        // Processes an earlier instance of the service started die with their streams; this catches anything left.
        try
        {
            using var exec = await ExecSession.OpenAsync(_client, Namespace, KubernetesObjects.PodName(sandboxId), ExecCommand.KillAll, tty: false, cancellationToken);
            await exec.Exited.WaitAsync(_options.KillTimeout, cancellationToken);
        }
        catch (Exception ex) when (ex is KubernetesExecException or HttpOperationException or System.Net.WebSockets.WebSocketException or TimeoutException)
        {
            KubernetesLog.StopExecFailed(_logger, ex, sandboxId);
        }
        await _environments.ReleaseAsync(sandboxId);
    }

    public async Task DeleteAsync(string sandboxId, CancellationToken cancellationToken)
    {
        await KillOwnAsync(sandboxId);
        await _environments.ReleaseAsync(sandboxId);
        _addresses.TryRemove(sandboxId, out _);
        var name = KubernetesObjects.PodName(sandboxId);
        var pod = await IgnoringNotFoundAsync(() => _client.CoreV1.DeleteNamespacedPodAsync(name, Namespace, gracePeriodSeconds: 0, cancellationToken: cancellationToken));
        var policy = await IgnoringNotFoundAsync(() => _client.NetworkingV1.DeleteNamespacedNetworkPolicyAsync(name, Namespace, cancellationToken: cancellationToken));
        if (pod is not null || policy is not null)
        {
            KubernetesLog.Deleted(_logger, sandboxId);
        }
    }

    /// <summary>Health from the pod's phase and Ready condition: a pod that is gone, being deleted or ended is what the pool's health pass replaces.</summary>
    public async Task<SandboxHealth> GetHealthAsync(string sandboxId, CancellationToken cancellationToken)
    {
        var pod = await ReadPodAsync(sandboxId, cancellationToken);
        if (pod is null || pod.Metadata.DeletionTimestamp is not null)
        {
            return new SandboxHealth(false, false, pod is null ? "Kubernetes has no such pod." : "The pod is being deleted.");
        }
        return IsRunning(pod)
            ? new SandboxHealth(true, true, null)
            : new SandboxHealth(true, false, $"The pod is {SandboxText.Clean(pod.Status?.Phase ?? "unknown", 40)}: {SandboxText.Clean(Reason(pod), 300)}");
    }

    public async Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken)
    {
        var pods = await _client.CoreV1.ListNamespacedPodAsync(Namespace, labelSelector: $"{KubernetesObjects.ManagedByLabel}={KubernetesObjects.ManagedBy}", cancellationToken: cancellationToken);
        return [.. pods.Items.Where(p => p.Metadata.DeletionTimestamp is null).Select(KubernetesObjects.SandboxIdOf).OfType<string>()];
    }

    public ISandboxFileSystem Files(string sandboxId) => new KubernetesSandboxFiles(this, sandboxId, _options);

    /// <summary>The pod's IP: the service reaches pods directly on the pod network (the NetworkPolicy admits its CIDRs only).</summary>
    public async ValueTask<EndPoint> GetPortEndpointAsync(string sandboxId, int port, CancellationToken cancellationToken)
    {
        if (!_addresses.TryGetValue(sandboxId, out var address))
        {
            var pod = await ReadPodAsync(sandboxId, cancellationToken) ?? throw new SandboxNotFoundException(sandboxId);
            address = Remember(sandboxId, pod) ?? throw new InvalidOperationException($"Sandbox '{sandboxId}' has no pod IP yet (its pod is {pod.Status?.Phase}).");
        }
        return new IPEndPoint(address, port);
    }

    public void Dispose() => _client.Dispose();

    internal Task<ExecSession> ExecAsync(string sandboxId, IReadOnlyList<string> command, CancellationToken cancellationToken, bool tty = false) =>
        ExecSession.OpenAsync(_client, Namespace, KubernetesObjects.PodName(sandboxId), command, tty, cancellationToken);

    internal async Task<V1Pod?> ReadPodAsync(string sandboxId, CancellationToken cancellationToken) =>
        await IgnoringNotFoundAsync(() => _client.CoreV1.ReadNamespacedPodAsync(KubernetesObjects.PodName(sandboxId), Namespace, cancellationToken: cancellationToken));

    /// <summary>Watches the pod (no poll loop) until it runs and is ready; a watch the server ends is resumed from the last version seen.</summary>
    private async Task WaitRunningAsync(string sandboxId, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.StartTimeout);
        var name = KubernetesObjects.PodName(sandboxId);
        try
        {
            var pod = await ReadPodAsync(sandboxId, deadline.Token) ?? throw new SandboxNotFoundException(sandboxId);
            while (!Check(sandboxId, pod))
            {
                var version = pod.Metadata.ResourceVersion;
                await foreach (var (type, changed) in _client.CoreV1.WatchListNamespacedPodAsync(Namespace, fieldSelector: $"metadata.name={name}",
                    resourceVersion: version, cancellationToken: deadline.Token))
                {
                    if (type == WatchEventType.Deleted)
                    {
                        throw new SandboxNotFoundException(sandboxId);
                    }
                    if (type is WatchEventType.Added or WatchEventType.Modified)
                    {
                        pod = changed;
                        if (Check(sandboxId, pod))
                        {
                            return;
                        }
                    }
                }
                pod = await ReadPodAsync(sandboxId, deadline.Token) ?? throw new SandboxNotFoundException(sandboxId);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SandboxUnavailableException($"The pod of sandbox {sandboxId} did not run within {_options.StartTimeout.TotalSeconds:0} s (image pull, scheduling or quota); see kubectl describe pod {name}.");
        }
    }

    /// <summary>True when the pod runs; throws when it can never run.</summary>
    private bool Check(string sandboxId, V1Pod pod)
    {
        if (pod.Status?.Phase is "Failed" or "Succeeded")
        {
            throw new SandboxUnavailableException($"The pod of sandbox {sandboxId} ended ({pod.Status.Phase}): {SandboxText.Clean(Reason(pod), 300)}");
        }
        if (!IsRunning(pod))
        {
            return false;
        }
        Remember(sandboxId, pod);
        return true;
    }

    private static bool IsRunning(V1Pod pod) =>
        pod.Status is { Phase: "Running" } status && status.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true && status.PodIP is { Length: > 0 };

    private IPAddress? Remember(string sandboxId, V1Pod pod)
    {
        if (pod.Status?.PodIP is { Length: > 0 } ip && IPAddress.TryParse(ip, out var address))
        {
            return _addresses[sandboxId] = address;
        }
        return null;
    }

    private static string Reason(V1Pod pod) =>
        pod.Status?.ContainerStatuses?.Select(s => s.State?.Waiting?.Reason ?? s.State?.Terminated?.Reason).FirstOrDefault(r => r is not null)
        ?? pod.Status?.Reason ?? pod.Status?.Message ?? "no reason given";

    /// <summary>
    /// The image for our framework snapshot (<c>{framework}-{hash}</c>). A repository sandbox's host checkout cannot be sent to
    /// a cluster, and a framework without an image cannot be created.
    /// </summary>
    private string ImageFor(SandboxSpec spec)
    {
        var id = Path.GetFileName(Path.TrimEndingDirectorySeparator(spec.SnapshotDirectory));
        var dash = id.LastIndexOf('-');
        var framework = dash > 0 ? id[..dash] : id;
        if (spec.LowerDirectories is { Count: > 0 } || !_options.Images.TryGetValue(framework, out var image))
        {
            throw new SandboxProviderLimitException(spec.LowerDirectories is { Count: > 0 }
                ? "Sandboxes from a repository are not supported on Kubernetes yet (the checkout and its dependency layer are on this machine); use a framework snapshot."
                : $"No image is mapped for '{SandboxText.Clean(framework, 60)}'; set {KubernetesOptions.Section}:Images:{SandboxText.Clean(framework, 60)} to an image holding that framework's snapshot.");
        }
        return image;
    }

    private static async Task<bool> CreateIgnoringConflictAsync<T>(Func<Task<T>> create)
    {
        try
        {
            await create();
            return true;
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Already there: create is idempotent for the same id.
            return false;
        }
    }

    private static async Task<T?> IgnoringNotFoundAsync<T>(Func<Task<T>> call) where T : class
    {
        try
        {
            return await call();
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static k8s.Kubernetes CreateClient(KubernetesOptions options)
    {
        var config = options.KubeConfig.Length > 0
            ? KubernetesClientConfiguration.BuildConfigFromConfigFile(options.KubeConfig, options.Context.Length > 0 ? options.Context : null)
            : KubernetesClientConfiguration.InClusterConfig();
        var client = new k8s.Kubernetes(config);
        // Offer v5 (stdin close) before the library's own v4: a server that knows v5 picks it, an older one v4.
        client.CreateWebSocketBuilder = () =>
        {
            var builder = new WebSocketBuilder();
            builder.Options.AddSubProtocol(WebSocketProtocol.V5BinaryWebsocketProtocol);
            return builder;
        };
        return client;
    }

    private async Task KillOwnAsync(string sandboxId)
    {
        if (_processes.TryRemove(sandboxId, out var processes))
        {
            await Task.WhenAll(processes.Values.Select(kill => kill()));
        }
    }
}
