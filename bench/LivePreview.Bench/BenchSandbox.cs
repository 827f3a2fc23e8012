using System.Net;
using LivePreview.Frameworks;
using LivePreview.Sandboxes;
using LivePreview.Tests.Support;

namespace LivePreview.Bench;

/// <summary>A sandbox made through the API with its preview ready, and both ways to reach its dev server.</summary>
internal sealed class BenchSandbox
{
    private readonly LivePreviewHost _host;

    private BenchSandbox(LivePreviewHost host, string id, string proxyUrl, string grantUrl, IPEndPoint direct)
    {
        GrantUrl = grantUrl;
        _host = host;
        Id = id;
        ProxyUrl = proxyUrl;
        DirectEndpoint = direct;
    }

    public string Id { get; }

    /// <summary>The preview URL as the browser sees it: <c>http://5173-{id}.preview.localhost:{port}/</c>, served by our proxy.</summary>
    public string ProxyUrl { get; }

    /// <summary>A grant link for <see cref="ProxyUrl"/> (previews are private): what the benchmark's browser opens.</summary>
    public string GrantUrl { get; }

    /// <summary>The dev server inside the sandbox's network namespace (an IP, which Vite's host check allows).</summary>
    public IPEndPoint DirectEndpoint { get; }

    public string DirectUrl => $"http://{DirectEndpoint}/";

    public static async Task<BenchSandbox> CreateAsync(LivePreviewHost host, Janitor janitor, FrameworkDefinition framework, CancellationToken cancellationToken)
    {
        var id = (await host.CreateSandboxAsync(framework.Name)).GetProperty("id").GetString()!;
        janitor.ApiSandbox(id);
        var preview = await host.WaitForPreviewAsync(id, timeout: TimeSpan.FromMinutes(2)).WaitAsync(cancellationToken);
        var endpoint = await host.Service<ISandboxProvider>().GetPortEndpointAsync(id, framework.DefaultPort, cancellationToken);
        var grant = await host.CreateGrantAsync(preview.GetProperty("id").GetString()!, expiresInSeconds: 6 * 3600);
        return new BenchSandbox(host, id, preview.GetProperty("preview_url").GetString()!, grant.GetProperty("url").GetString()!, (IPEndPoint)endpoint);
    }

    public Task<string> ReadFileAsync(string path, CancellationToken cancellationToken) =>
        _host.Http.GetStringAsync($"api/v1/sandboxes/{Id}/files/{path}", cancellationToken);

    public async Task WriteFileAsync(string path, string content, CancellationToken cancellationToken)
    {
        using var response = await _host.Http.PutAsync($"api/v1/sandboxes/{Id}/files/{path}", new StringContent(content), cancellationToken);
        response.EnsureSuccessStatusCode();
    }
}
