using System.Net;
using LivePreview.Frameworks;
using LivePreview.Previews;
using LivePreview.Sandboxes;

namespace LivePreview.Prototypes;

/// <summary>
/// Asks the dev server itself whether what the agent edited still builds, so a broken edit is caught
/// even when nobody has the preview open (Vite transforms a module only when it is requested):
/// Vite — each edited module through the dev server; Next — the page. A 5xx is a build error.
/// </summary>
public sealed class PreviewBuildCheck(ISandboxProvider provider, PreviewAddress address, IHttpClientFactory httpFactory)
{
    public const string HttpClientName = "preview-build-check";
    private static readonly string[] ModuleExtensions = [".ts", ".tsx", ".js", ".jsx", ".mjs", ".vue", ".css"];

    public async Task<IReadOnlyList<string>> CheckAsync(string sandboxId, FrameworkDefinition framework, IReadOnlyCollection<string> editedPaths, CancellationToken ct)
    {
        var endpoint = await provider.GetPortEndpointAsync(sandboxId, framework.DefaultPort, ct);
        var basePath = address.DevServerBasePath(sandboxId, framework.DefaultPort) ?? "/";
        var paths = framework.Kind == DevServerKind.Vite
            ? editedPaths.Where(p => ModuleExtensions.Contains(Path.GetExtension(p), StringComparer.OrdinalIgnoreCase)).Take(20)
            : [""];
        var http = httpFactory.CreateClient(HttpClientName);
        var errors = new List<string>();
        foreach (var path in paths)
        {
            var uri = new Uri($"http://{endpoint}{basePath}{Uri.EscapeDataString(path).Replace("%2F", "/", StringComparison.Ordinal)}");
            if (await ErrorOfAsync(http, uri, ct) is { } error)
            {
                errors.Add(path.Length == 0 ? error : $"{path}: {error}");
            }
        }
        return errors;
    }

    private static async Task<string?> ErrorOfAsync(HttpClient http, Uri uri, CancellationToken ct)
    {
        try
        {
            using var response = await http.GetAsync(uri, ct);
            if ((int)response.StatusCode < 500)
            {
                return null;
            }
            var text = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync(ct)).Trim();
            return $"the dev server answered {(int)response.StatusCode}: {(text.Length > 1500 ? text[..1500] : text)}";
        }
        catch (HttpRequestException ex)
        {
            return $"the dev server did not answer: {ex.Message}";
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
    }
}
