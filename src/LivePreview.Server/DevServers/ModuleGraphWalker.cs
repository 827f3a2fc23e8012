using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using LivePreview.Sandboxes;

namespace LivePreview.DevServers;

/// <summary>What one walk fetched: modules answered 200, the others, and how long it took.</summary>
public sealed record ModuleGraphWalk(int Modules, int Failed, bool Capped, TimeSpan Elapsed);

/// <summary>
/// Fetches a dev server's page, its scripts and then every same-origin module they import statically, level by level
/// and a few at a time, the way a browser's first load does. Vite transforms a module on its first request and keeps
/// the result until the file changes, so a walked server answers the browser's first load from its cache (issue 15:
/// the readiness probe alone leaves everything below the entry script untransformed). Best effort and bounded: a
/// module that fails is counted, not retried; the walk stops at <c>maxModules</c>. It speaks to the sandbox only
/// through <see cref="SandboxHttpClient"/> (bounded bodies, no redirects, the provider's endpoint whatever a URL says).
/// </summary>
public sealed partial class ModuleGraphWalker(SandboxHttpLimits limits)
{
    /// <summary>Requests at once: what a browser opens to one HTTP/1.1 origin.</summary>
    private const int Parallel = 6;

    public async Task<ModuleGraphWalk> WalkAsync(EndPoint endpoint, Uri pageUri, int maxModules, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var http = SandboxHttpClient.Create(endpoint, limits);
        var page = await http.GetAsync(pageUri, readBody: true, cancellationToken);
        if (page.StatusCode != (int)HttpStatusCode.OK)
        {
            return new ModuleGraphWalk(0, 1, false, clock.Elapsed);
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var level = ReadinessProbe.SameOriginScripts(pageUri, page.Body).Where(u => seen.Add(u.PathAndQuery)).ToList();
        var (modules, failed) = (0, 0);
        while (level.Count > 0 && modules + failed < maxModules)
        {
            var batch = level.Take(maxModules - modules - failed).ToList();
            var answers = await FetchAsync(http, batch, cancellationToken);
            var next = new List<Uri>();
            foreach (var (uri, answer) in answers)
            {
                if (answer.StatusCode != (int)HttpStatusCode.OK)
                {
                    failed++;
                    continue;
                }
                modules++;
                next.AddRange(StaticImports(pageUri, uri, answer.Body).Where(u => seen.Add(u.PathAndQuery)));
            }
            level = next;
        }
        return new ModuleGraphWalk(modules, failed, level.Count > 0, clock.Elapsed);
    }

    private static async Task<List<(Uri Uri, SandboxHttpResponse Answer)>> FetchAsync(SandboxHttpClient http, List<Uri> uris, CancellationToken cancellationToken)
    {
        var results = new (Uri, SandboxHttpResponse)[uris.Count];
        var next = -1;
        async Task Worker()
        {
            for (var i = Interlocked.Increment(ref next); i < uris.Count; i = Interlocked.Increment(ref next))
            {
                results[i] = (uris[i], await http.GetAsync(uris[i], readBody: true, cancellationToken));
            }
        }
        await Task.WhenAll(Enumerable.Range(0, Math.Min(Parallel, uris.Count)).Select(_ => Worker()));
        return [.. results];
    }

    /// <summary>
    /// Specifiers of <c>import … from "x"</c>, <c>export … from "x"</c> and <c>import "x"</c> in a module as the dev server
    /// served it (Vite has rewritten them to URLs), resolved against the module, same origin as the page only. Dynamic
    /// <c>import()</c> is left out: the first paint does not wait for it. A match inside a string or comment costs one request.
    /// </summary>
    public static IEnumerable<Uri> StaticImports(Uri pageUri, Uri moduleUri, string code)
    {
        foreach (Match match in ImportFrom().Matches(code))
        {
            if (Uri.TryCreate(moduleUri, match.Groups["src"].Value, out var uri) && uri.Scheme == pageUri.Scheme && uri.Authority == pageUri.Authority)
            {
                yield return uri;
            }
        }
    }

    // Linear time whatever the module holds (the module is the sandbox's). Bare specifiers ("react") are not URLs Vite serves.
    [GeneratedRegex("""(?:\bfrom|\bimport)\s*["'](?<src>(?:/|\./|\.\./)[^"'\s]{0,400})["']""", RegexOptions.NonBacktracking)]
    private static partial Regex ImportFrom();
}
