using System.Net;
using System.Text.RegularExpressions;
using LivePreview.Sandboxes;

namespace LivePreview.DevServers;

/// <summary>
/// A dev server is ready when its page answers 200 <em>and</em> the page's own module scripts load
/// (FIELD-NOTES 8: a port that answers while the dep optimizer still runs gives 504s to the browser).
/// It speaks to the sandbox only through <see cref="SandboxHttpClient"/>: a redirect is "not ready",
/// never followed; its reasons are bounded and worded by the host.
/// </summary>
public sealed partial class ReadinessProbe(SandboxHttpLimits limits)
{
    private const int MaxScripts = 20;
    private const int MaxPathChars = 200;

    /// <param name="anyAnswer">
    /// Ready on any HTTP answer, whatever its status (a watch-only preview of a port something else serves: an API's
    /// 404 at / is still what it serves); a port that answers, but not in HTTP, is <see cref="ProbeResult.NotHttp"/>.
    /// </param>
    /// <param name="headers">What the provider wants on every request (<see cref="SandboxPortUrl.Headers"/>); null for none.</param>
    public async Task<ProbeResult> CheckAsync(EndPoint endpoint, Uri pageUri, bool requireScripts, CancellationToken cancellationToken, bool anyAnswer = false,
        IReadOnlyList<KeyValuePair<string, string>>? headers = null)
    {
        using var http = SandboxHttpClient.Create(endpoint, limits, headers);
        var page = await http.GetAsync(pageUri, readBody: requireScripts, cancellationToken);
        if (anyAnswer)
        {
            return page.Failure is null ? ProbeResult.Ready
                : new ProbeResult(false, $"page: {page.Failure}") { NotHttp = page.NotHttp || page.TimedOut };
        }
        if (NotOk(page) is { } problem)
        {
            return ProbeResult.NotReady($"page: {problem}");
        }
        return requireScripts ? await CheckScriptsAsync(http, pageUri, page.Body, cancellationToken) : ProbeResult.Ready;
    }

    private static async Task<ProbeResult> CheckScriptsAsync(SandboxHttpClient http, Uri pageUri, string html, CancellationToken cancellationToken)
    {
        foreach (var script in SameOriginScripts(pageUri, html).Take(MaxScripts))
        {
            // Only the status matters: Vite answers after it has transformed the module.
            if (NotOk(await http.GetAsync(script, readBody: false, cancellationToken)) is { } problem)
            {
                return ProbeResult.NotReady($"{SandboxText.Clean(script.AbsolutePath, MaxPathChars)}: {problem}");
            }
        }
        return ProbeResult.Ready;
    }

    private static string? NotOk(SandboxHttpResponse response) => response switch
    {
        { Failure: { } failure } => failure,
        { IsRedirect: true } => response.RedirectReason,
        { StatusCode: (int)HttpStatusCode.OK } => null,
        _ => $"answered {response.StatusCode}",
    };

    /// <summary>The page's own script sources; third-party scripts are not the dev server's business.</summary>
    public static IEnumerable<Uri> SameOriginScripts(Uri pageUri, string html)
    {
        foreach (Match match in ScriptSrc().Matches(html))
        {
            var src = WebUtility.HtmlDecode(match.Groups["src"].Value);
            if (Uri.TryCreate(pageUri, src, out var uri) && uri.Scheme == pageUri.Scheme && uri.Authority == pageUri.Authority)
            {
                yield return uri;
            }
        }
    }

    // Linear time whatever the page holds (the page is the sandbox's).
    [GeneratedRegex("""<script\b[^>]*\bsrc\s*=\s*["'](?<src>[^"']+)["']""", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking)]
    private static partial Regex ScriptSrc();
}

public sealed record ProbeResult(bool IsReady, string? Reason)
{
    /// <summary>The port took the connection but gave no HTTP answer (garbage, an early close, or silence).</summary>
    public bool NotHttp { get; init; }

    public static ProbeResult Ready { get; } = new(true, null);

    public static ProbeResult NotReady(string reason) => new(false, reason);
}
