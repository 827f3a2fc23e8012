using System.Net;
using System.Text.RegularExpressions;

namespace LivePreview.DevServers;

/// <summary>
/// A dev server is ready when its page answers 200 <em>and</em> the page's own module scripts load
/// (FIELD-NOTES 8: a port that answers while the dep optimizer still runs gives 504s to the browser).
/// </summary>
public sealed partial class ReadinessProbe(HttpClient http)
{
    public async Task<ProbeResult> CheckAsync(Uri pageUri, bool requireScripts, CancellationToken cancellationToken)
    {
        HttpResponseMessage page;
        try
        {
            page = await http.GetAsync(pageUri, HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            return ProbeResult.NotReady($"page: {ex.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ProbeResult.NotReady("page: timed out");
        }
        using (page)
        {
            if (page.StatusCode != HttpStatusCode.OK)
            {
                return ProbeResult.NotReady($"page answered {(int)page.StatusCode}");
            }
            if (!requireScripts)
            {
                return ProbeResult.Ready;
            }
            var html = await page.Content.ReadAsStringAsync(cancellationToken);
            return await CheckScriptsAsync(pageUri, html, cancellationToken);
        }
    }

    private async Task<ProbeResult> CheckScriptsAsync(Uri pageUri, string html, CancellationToken cancellationToken)
    {
        foreach (var script in SameOriginScripts(pageUri, html))
        {
            try
            {
                using var response = await http.GetAsync(script, HttpCompletionOption.ResponseContentRead, cancellationToken);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    return ProbeResult.NotReady($"{script.AbsolutePath} answered {(int)response.StatusCode}");
                }
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                return ProbeResult.NotReady($"{script.AbsolutePath}: {ex.Message}");
            }
        }
        return ProbeResult.Ready;
    }

    /// <summary>The page's own script sources; third-party scripts are not the dev server's business.</summary>
    public static IEnumerable<Uri> SameOriginScripts(Uri pageUri, string html)
    {
        foreach (Match match in ScriptSrc().Matches(html))
        {
            var src = WebUtility.HtmlDecode(match.Groups["src"].Value);
            if (Uri.TryCreate(pageUri, src, out var uri) && uri.Authority == pageUri.Authority)
            {
                yield return uri;
            }
        }
    }

    [GeneratedRegex("""<script\b[^>]*\bsrc\s*=\s*["'](?<src>[^"']+)["']""", RegexOptions.IgnoreCase)]
    private static partial Regex ScriptSrc();
}

public sealed record ProbeResult(bool IsReady, string? Reason)
{
    public static ProbeResult Ready { get; } = new(true, null);

    public static ProbeResult NotReady(string reason) => new(false, reason);
}
