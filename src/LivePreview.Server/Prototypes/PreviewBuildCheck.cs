using System.Net;
using LivePreview.Frameworks;
using LivePreview.Previews;
using LivePreview.Sandboxes;

namespace LivePreview.Prototypes;

/// <summary>
/// Asks the dev server itself whether what the agent edited still builds, so a broken edit is caught
/// even when nobody has the preview open (Vite transforms a module only when it is requested):
/// Vite — each edited module through the dev server; Next — the page. A 5xx is a build error.
/// The dev server is the sandbox's: it is reached through <see cref="SandboxHttpClient"/> (no redirect is
/// followed, bounded reads), and what it answers reaches the agent bounded and quoted as sandbox output.
/// </summary>
public sealed class PreviewBuildCheck(ISandboxProvider provider, PreviewAddress address)
{
    public const int MaxErrorChars = 1500;
    private const int MaxBodyBytes = 64 * 1024;
    private static readonly SandboxHttpLimits Limits = new(MaxBodyBytes, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(2));
    private static readonly string[] ModuleExtensions = [".ts", ".tsx", ".js", ".jsx", ".mjs", ".vue", ".css"];

    public async Task<IReadOnlyList<string>> CheckAsync(string sandboxId, FrameworkDefinition framework, IReadOnlyCollection<string> editedPaths, CancellationToken ct)
    {
        var (endpoint, prefix, headers) = await SandboxHttpClient.PortAsync(provider, sandboxId, framework.DefaultPort, ct);
        var basePath = address.DevServerBasePath(sandboxId, framework.DefaultPort) ?? "/";
        var isVite = framework.Kind == DevServerKind.Vite;
        var paths = isVite
            ? editedPaths.Where(p => ModuleExtensions.Contains(Path.GetExtension(p), StringComparer.OrdinalIgnoreCase)).Take(20)
            : [""];
        using var http = SandboxHttpClient.Create(endpoint, Limits, headers);
        var errors = new List<string>();
        foreach (var path in paths)
        {
            var uri = new Uri($"{prefix}{basePath}{Uri.EscapeDataString(path).Replace("%2F", "/", StringComparison.Ordinal)}");
            if (ErrorOf(await http.GetAsync(uri, readBody: true, ct), isModule: isVite) is { } error)
            {
                errors.Add(path.Length == 0 ? error : $"{SandboxText.Clean(path, 200)}: {error}");
            }
        }
        return errors;
    }

    /// <summary>
    /// A 5xx is a build error; a redirect for a module is reported (a module never redirects; the page of a
    /// Next app may, which is its own business); a timeout is not an error (the dev server is busy).
    /// </summary>
    private static string? ErrorOf(SandboxHttpResponse response, bool isModule) => response switch
    {
        { TimedOut: true } => null,
        { Failure: { } failure } => $"the dev server did not answer: {failure}",
        { IsRedirect: true } when isModule => response.RedirectReason,
        { StatusCode: >= 500 } => $"the dev server answered {response.StatusCode}: "
            + SandboxText.Quote("its answer", WebUtility.HtmlDecode(response.Body).Trim(), MaxErrorChars),
        _ => null,
    };
}
