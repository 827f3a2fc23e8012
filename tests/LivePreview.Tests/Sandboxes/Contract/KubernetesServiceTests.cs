using LivePreview.Tests.Support;

namespace LivePreview.Tests.Sandboxes.Contract;

/// <summary>
/// The whole service on the Kubernetes provider: a react-vite sandbox as a pod of <see cref="FakeKubernetes"/> (a real local
/// sandbox from the built snapshot, the image's stand-in, with a real Vite dev server started through exec), previewed
/// through our proxy, which dials the pod IP; an edit through the files API (exec again) reaches the page as an HMR update.
/// </summary>
public sealed class KubernetesServiceTests() : ProviderServiceTests("kubernetes")
{
    private const string Image = "registry.test/livepreview/react-vite:1";
    private FakeKubernetes? _kube;

    protected override async Task<IDictionary<string, string?>> StartProviderAsync(string snapshot)
    {
        _kube = await FakeKubernetes.StartAsync(new Dictionary<string, string> { [Image] = snapshot });
        return new Dictionary<string, string?>
        {
            ["LivePreview:Sandboxes:Provider"] = "Kubernetes",
            ["LivePreview:Sandboxes:Kubernetes:KubeConfig"] = _kube.KubeConfigPath,
            ["LivePreview:Sandboxes:Kubernetes:Namespace"] = FakeKubernetes.Namespace,
            ["LivePreview:Sandboxes:Kubernetes:Images:react-vite"] = Image,
            ["LivePreview:Sandboxes:Kubernetes:IngressCidrs:0"] = "10.0.0.0/8",
        };
    }

    protected override ValueTask StopProviderAsync() => _kube?.DisposeAsync() ?? ValueTask.CompletedTask;
}
