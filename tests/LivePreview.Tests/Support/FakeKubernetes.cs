using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using LivePreview.Sandboxes;
using LivePreview.Tests.Sandboxes.Local;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LivePreview.Tests.Support;

/// <summary>
/// The Kubernetes API paths the provider uses, on 127.0.0.1, speaking the apiserver's wire format (k8s.Models objects serialised
/// with the library's own <see cref="KubernetesJson"/>, <c>Status</c> objects for 401/404/409, watch streams of
/// <c>{"type":…,"object":…}</c> lines, exec as a WebSocket on the channel protocol — stdin 0, stdout 1, stderr 2, the error
/// channel 3 with the exit code in a Status, v5's close on 255), reached through a generated kubeconfig with a bearer token.
/// It really runs pods: each is a <see cref="LocalSandboxProvider"/> sandbox made from the snapshot its image names (so the pod IP
/// is the sandbox's own network address, as on a pod network), its container command is its pid 1, and every exec runs in it.
/// Deleting a pod deletes the sandbox.
/// </summary>
public sealed partial class FakeKubernetes : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly LocalSandboxHarness _local;
    private readonly IReadOnlyDictionary<string, string> _images;
    private readonly ConcurrentDictionary<string, FakePod> _pods = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, V1NetworkPolicy> _policies = new(StringComparer.Ordinal);
    private readonly List<(long Version, string Type, V1Pod Pod)> _events = [];
    private long _version = 1000;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private FakeKubernetes(WebApplication app, LocalSandboxHarness local, IReadOnlyDictionary<string, string> images, string token, string directory)
    {
        _app = app;
        _local = local;
        _images = images;
        Token = token;
        Directory = directory;
    }

    public const string Namespace = "lp-sandboxes";

    public string Token { get; }

    /// <summary>Holds the kubeconfig.</summary>
    public string Directory { get; }

    public string KubeConfigPath => Path.Join(Directory, "kubeconfig");

    public Uri Server => new(_app.Urls.First());

    /// <summary>Every request as "METHOD path?query", in arrival order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>How many watch streams were opened (the provider waits with a watch, not a poll loop).</summary>
    public int Watches;

    /// <param name="images">Image names to the snapshot folders their pods' sandboxes are made from.</param>
    public static async Task<FakeKubernetes> StartAsync(IReadOnlyDictionary<string, string> images)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("LP_FAKE_KUBE_LOG") is not null)
        {
            builder.Logging.AddConsole();
        }
        var app = builder.Build();
        app.UseWebSockets();
        var local = new LocalSandboxHarness(Environment.GetEnvironmentVariable("LivePreview__Sandboxes__Local__SubnetPrefix") ?? "10.186");
        var directory = System.IO.Directory.CreateTempSubdirectory("lp-fake-kube-").FullName;
        var fake = new FakeKubernetes(app, local, images, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), directory);
        fake.Map(app);
        await app.StartAsync();
        await File.WriteAllTextAsync(fake.KubeConfigPath, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: fake
              cluster:
                server: {fake.Server.AbsoluteUri.TrimEnd('/')}
            users:
            - name: livepreview
              user:
                token: {fake.Token}
            contexts:
            - name: fake
              context:
                cluster: fake
                user: livepreview
                namespace: {Namespace}
            current-context: fake
            """);
        return fake;
    }

    public V1Pod? Pod(string name) => _pods.TryGetValue(name, out var pod) ? pod.Object : null;

    public V1NetworkPolicy? Policy(string name) => _policies.GetValueOrDefault(name);

    /// <summary>The pod's container dies (an OOM kill, a node lost): the pod is Failed.</summary>
    public async Task KillContainerAsync(string name) => await _pods[name].Main!.KillAsync();

    private void Map(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            Requests.Enqueue($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}");
            if (context.Request.Headers.Authorization != $"Bearer {Token}")
            {
                await Status(context, 401, "Unauthorized", "Unauthorized");
                return;
            }
            await next(context);
        });
        const string pods = "/api/v1/namespaces/{ns}/pods";
        app.MapPost(pods, CreatePodAsync);
        app.MapGet(pods, ListPodsAsync);
        app.MapGet(pods + "/{name}", (HttpContext c, string name) =>
            _pods.TryGetValue(name, out var pod) ? Json(c, 200, pod.Object) : NotFound(c, "pods", name));
        app.MapDelete(pods + "/{name}", DeletePodAsync);
        app.Map(pods + "/{name}/exec", ExecAsync);
        const string policies = "/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies";
        app.MapPost(policies, async (HttpContext c, string ns) =>
        {
            var policy = KubernetesJson.Deserialize<V1NetworkPolicy>(await new StreamReader(c.Request.Body).ReadToEndAsync());
            policy.Metadata.NamespaceProperty = ns;
            policy.Metadata.Uid = Guid.NewGuid().ToString();
            policy.Metadata.ResourceVersion = Next().ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!_policies.TryAdd(policy.Metadata.Name, policy))
            {
                await Status(c, 409, "AlreadyExists", $"networkpolicies.networking.k8s.io \"{policy.Metadata.Name}\" already exists");
                return;
            }
            await Json(c, 201, policy);
        });
        app.MapGet(policies + "/{name}", (HttpContext c, string name) =>
            _policies.TryGetValue(name, out var policy) ? Json(c, 200, policy) : NotFound(c, "networkpolicies.networking.k8s.io", name));
        app.MapDelete(policies + "/{name}", (HttpContext c, string name) =>
            _policies.TryRemove(name, out _)
                ? Json(c, 200, new V1Status { ApiVersion = "v1", Kind = "Status", Status = "Success", Details = new V1StatusDetails { Name = name, Kind = "networkpolicies" } })
                : NotFound(c, "networkpolicies.networking.k8s.io", name));
    }

    private async Task CreatePodAsync(HttpContext c, string ns)
    {
        var pod = KubernetesJson.Deserialize<V1Pod>(await new StreamReader(c.Request.Body).ReadToEndAsync());
        var name = pod.Metadata.Name;
        pod.Metadata.NamespaceProperty = ns;
        pod.Metadata.Uid = Guid.NewGuid().ToString();
        pod.Metadata.CreationTimestamp = DateTime.UtcNow;
        pod.Status = new V1PodStatus { Phase = "Pending", Conditions = [new V1PodCondition { Type = "PodScheduled", Status = "True" }] };
        var fake = new FakePod(pod, _local.NewId());
        if (!_pods.TryAdd(name, fake))
        {
            await Status(c, 409, "AlreadyExists", $"pods \"{name}\" already exists");
            return;
        }
        Publish("ADDED", fake);
        await Json(c, 201, pod);
        _ = Task.Run(() => RunPodAsync(fake));
    }

    /// <summary>What the kubelet does: the image (a snapshot here) becomes the container's filesystem, its command runs, the pod turns Running and Ready.</summary>
    private async Task RunPodAsync(FakePod fake)
    {
        var container = fake.Object.Spec.Containers[0];
        if (!_images.TryGetValue(container.Image, out var snapshot))
        {
            fake.Object.Status.ContainerStatuses = [new V1ContainerStatus { Name = container.Name, Image = container.Image, State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "ErrImagePull", Message = "image not found" } } }];
            Publish("MODIFIED", fake);
            return;
        }
        try
        {
            await _local.Provider.CreateAsync(new SandboxSpec(fake.LocalId, snapshot), CancellationToken.None);
            fake.Main = await _local.Provider.StartProcessAsync(fake.LocalId, new SandboxProcessSpec([.. container.Command]), CancellationToken.None);
        }
        catch (Exception ex) when (fake.Deleted)
        {
            _ = ex;
            return;
        }
        lock (fake)
        {
            if (fake.Deleted)
            {
                return;
            }
            fake.Object.Status.Phase = "Running";
            fake.Object.Status.PodIP = _local.Provider.AddressOf(fake.LocalId)!.ToString();
            fake.Object.Status.PodIPs = [new V1PodIP { Ip = fake.Object.Status.PodIP }];
            fake.Object.Status.StartTime = DateTime.UtcNow;
            fake.Object.Status.Conditions = [.. fake.Object.Status.Conditions, new V1PodCondition { Type = "Ready", Status = "True" }, new V1PodCondition { Type = "ContainersReady", Status = "True" }];
            fake.Object.Status.ContainerStatuses = [new V1ContainerStatus { Name = container.Name, Image = container.Image, Ready = true, Started = true, State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = DateTime.UtcNow } } }];
        }
        Publish("MODIFIED", fake);
        var code = await fake.Main.Exited;
        lock (fake)
        {
            if (fake.Deleted)
            {
                return;
            }
            // restartPolicy Never: a container that ended ends the pod.
            fake.Object.Status.Phase = code == 0 ? "Succeeded" : "Failed";
            fake.Object.Status.Conditions = [.. fake.Object.Status.Conditions.Where(x => x.Type != "Ready"), new V1PodCondition { Type = "Ready", Status = "False" }];
            fake.Object.Status.ContainerStatuses = [new V1ContainerStatus { Name = container.Name, Image = container.Image, State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = code, Reason = code == 137 ? "OOMKilled" : "Error" } } }];
        }
        Publish("MODIFIED", fake);
    }

    private async Task DeletePodAsync(HttpContext c, string name)
    {
        if (!_pods.TryRemove(name, out var fake))
        {
            await NotFound(c, "pods", name);
            return;
        }
        lock (fake)
        {
            fake.Deleted = true;
        }
        await _local.Provider.DeleteAsync(fake.LocalId, CancellationToken.None);
        Publish("DELETED", fake);
        await Json(c, 200, fake.Object);
    }

    private async Task ListPodsAsync(HttpContext c, string ns)
    {
        var labels = Selector(c.Request.Query["labelSelector"]);
        var fields = Selector(c.Request.Query["fieldSelector"]);
        bool Matches(V1Pod p) => labels.All(l => p.Metadata.Labels is { } own && own.TryGetValue(l.Key, out var value) && value == l.Value)
            && fields.All(f => f.Key == "metadata.name" && p.Metadata.Name == f.Value);
        if (c.Request.Query["watch"] is { Count: > 0 } watch && watch[0] is "true" or "1")
        {
            await WatchAsync(c, Matches, long.TryParse(c.Request.Query["resourceVersion"], out var since) ? since : (long?)null);
            return;
        }
        var list = new V1PodList
        {
            ApiVersion = "v1",
            Kind = "PodList",
            Metadata = new V1ListMeta { ResourceVersion = Volatile.Read(ref _version).ToString(System.Globalization.CultureInfo.InvariantCulture) },
            Items = [.. _pods.Values.Select(p => p.Object).Where(Matches)],
        };
        await Json(c, 200, list);
    }

    /// <summary>Chunked lines, one event each, from the version asked (or the pods there are now as ADDED) until the client goes.</summary>
    private async Task WatchAsync(HttpContext c, Func<V1Pod, bool> matches, long? since)
    {
        Interlocked.Increment(ref Watches);
        c.Response.StatusCode = 200;
        c.Response.ContentType = "application/json";
        await c.Response.StartAsync();
        long sent;
        List<(long Version, string Type, V1Pod Pod)> pending;
        Task changed;
        lock (_events)
        {
            sent = Volatile.Read(ref _version);
            changed = _changed.Task;
            pending = since is { } version
                ? [.. _events.Where(e => e.Version > version)]
                : [.. _pods.Values.Select(p => (sent, "ADDED", p.Object))];
        }
        try
        {
            while (!c.RequestAborted.IsCancellationRequested)
            {
                foreach (var (_, type, pod) in pending.Where(e => matches(e.Pod)))
                {
                    await c.Response.WriteAsync(KubernetesJson.Serialize(new Watcher<V1Pod>.WatchEvent { Type = Enum.Parse<WatchEventType>(type, ignoreCase: true), Object = pod }) + "\n", c.RequestAborted);
                }
                await c.Response.Body.FlushAsync(c.RequestAborted);
                await changed.WaitAsync(c.RequestAborted);
                lock (_events)
                {
                    changed = _changed.Task;
                    pending = [.. _events.Where(e => e.Version > sent)];
                    sent = Volatile.Read(ref _version);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Publish(string type, FakePod fake)
    {
        TaskCompletionSource previous;
        lock (_events)
        {
            var version = Next();
            fake.Object.Metadata.ResourceVersion = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
            // A snapshot: later changes to the pod must not rewrite what this event said.
            _events.Add((version, type, KubernetesJson.Deserialize<V1Pod>(KubernetesJson.Serialize(fake.Object))));
            previous = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        previous.TrySetResult();
    }

    private long Next() => Interlocked.Increment(ref _version);

    private static Dictionary<string, string> Selector(string? selector) =>
        string.IsNullOrEmpty(selector) ? [] : selector.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");

    private static Task NotFound(HttpContext c, string kind, string name) => Status(c, 404, "NotFound", $"{kind} \"{name}\" not found");

    private static Task Status(HttpContext c, int code, string reason, string message) =>
        Json(c, code, new V1Status { ApiVersion = "v1", Kind = "Status", Status = "Failure", Reason = reason, Message = message, Code = code });

    private static async Task Json(HttpContext c, int status, object body)
    {
        c.Response.StatusCode = status;
        c.Response.ContentType = "application/json";
        await c.Response.WriteAsync(body is V1Status s ? StatusJson(s) : KubernetesJson.Serialize(body));
    }

    /// <summary>A Status as the apiserver writes it (the library's converter for it only reads).</summary>
    internal static string StatusJson(V1Status status) => new System.Text.Json.Nodes.JsonObject
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new System.Text.Json.Nodes.JsonObject(),
        ["status"] = status.Status,
        ["message"] = status.Message,
        ["reason"] = status.Reason,
        ["details"] = status.Details is { } d ? new System.Text.Json.Nodes.JsonObject
        {
            ["name"] = d.Name,
            ["kind"] = d.Kind,
            ["causes"] = d.Causes is { } causes ? new System.Text.Json.Nodes.JsonArray([.. causes.Select(x => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject { ["reason"] = x.Reason, ["message"] = x.Message })]) : null,
        } : null,
        ["code"] = status.Code,
    }.ToJsonString();

    public async ValueTask DisposeAsync()
    {
        foreach (var pod in _pods.Values)
        {
            pod.Deleted = true;
        }
        _pods.Clear();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _local.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private sealed class FakePod(V1Pod pod, string localId)
    {
        public V1Pod Object { get; } = pod;
        public string LocalId { get; } = localId;
        public ISandboxProcess? Main { get; set; }
        public bool Deleted { get; set; }
    }
}
