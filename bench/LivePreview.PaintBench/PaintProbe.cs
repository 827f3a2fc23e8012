using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Playwright;

namespace LivePreview.PaintBench;

/// <summary>One resource of the preview's document, from Resource Timing, with the proxy's Server-Timing entries.</summary>
internal sealed record ResourceTiming(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("start")] double Start,
    [property: JsonPropertyName("requestStart")] double RequestStart,
    [property: JsonPropertyName("responseStart")] double ResponseStart,
    [property: JsonPropertyName("responseEnd")] double ResponseEnd,
    [property: JsonPropertyName("transfer")] long Transfer,
    [property: JsonPropertyName("protocol")] string Protocol,
    [property: JsonPropertyName("server")] Dictionary<string, double> Server)
{
    /// <summary>Path without the query (Vite's <c>?v=</c> and <c>?t=</c> differ between runs).</summary>
    public string Path => new Uri(Name).AbsolutePath;

    /// <summary>Time to first byte minus what the proxy says it spent, upstream included: connection queueing and the loopback wire.</summary>
    public double WireMs => ResponseStart - RequestStart - Server.Values.Sum();
}

/// <summary>What the preview document reports when the app is painted; times are epoch milliseconds or relative to its time origin.</summary>
internal sealed record PaintReport(
    [property: JsonPropertyName("paintedAt")] double PaintedAt,
    [property: JsonPropertyName("origin")] double Origin,
    [property: JsonPropertyName("redirect")] double Redirect,
    [property: JsonPropertyName("firstByte")] double FirstByte,
    [property: JsonPropertyName("document")] ResourceTiming Document,
    [property: JsonPropertyName("resources")] List<ResourceTiming> Resources);

/// <summary>
/// "Painted" here: the app's own element (<c>#root h1</c>) is in the preview document's DOM and a
/// <c>requestAnimationFrame</c> callback queued after it has run, i.e. the frame that shows it is being produced.
/// An init script (every frame of the context, before the page's own scripts) watches with a MutationObserver and calls
/// an exposed function, so no Playwright polling is in the figure. The dashboard's own document is left alone.
/// </summary>
internal static class PaintProbe
{
    public const string AppElement = "#root h1";

    public static async Task<TaskCompletionSource<PaintReport>> AttachAsync(IBrowserContext context, Uri dashboard)
    {
        var painted = new TaskCompletionSource<PaintReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        await context.ExposeFunctionAsync("__lpPainted", (string json) =>
        {
            painted.TrySetResult(JsonSerializer.Deserialize<PaintReport>(json)!);
        });
        await context.AddInitScriptAsync(Script(dashboard.GetLeftPart(UriPartial.Authority)));
        return painted;
    }

    private static string Script(string dashboardOrigin) => $$"""
        (() => {
          if (location.origin === {{JsonSerializer.Serialize(dashboardOrigin)}} || location.protocol === 'about:') return;
          const timing = r => ({
            name: r.name, start: r.startTime, requestStart: r.requestStart, responseStart: r.responseStart, responseEnd: r.responseEnd,
            transfer: r.transferSize, protocol: r.nextHopProtocol,
            server: Object.fromEntries((r.serverTiming || []).map(s => [s.name, s.duration])) });
          const report = () => {
            const nav = performance.getEntriesByType('navigation')[0];
            window.__lpPainted(JSON.stringify({
              paintedAt: performance.timeOrigin + performance.now(), origin: performance.timeOrigin,
              redirect: nav.redirectEnd - nav.redirectStart, firstByte: nav.responseStart, document: timing(nav),
              resources: performance.getEntriesByType('resource').map(timing) }));
          };
          const check = () => {
            if (!document.querySelector({{JsonSerializer.Serialize(AppElement)}})) return;
            observer.disconnect();
            requestAnimationFrame(report);
          };
          const observer = new MutationObserver(check);
          observer.observe(document, { childList: true, subtree: true });
        })();
        """;
}
