using LivePreview.Previews;

namespace LivePreview.Proxy;

/// <summary>
/// The small script the proxy adds to preview pages (switchable: LivePreview:Previews:InjectClientScript):
/// it reports uncaught errors, unhandled rejections, console errors and Vite's error overlay to
/// <c>/__livepreview/report</c> on the preview's own origin (same-origin JSON POST), where <see cref="ClientReports"/>
/// turns them into PREVIEW_CLIENT_REPORT events — what the agent is shown to fix, and what the user sees.
/// </summary>
internal static class PreviewClientScript
{
    public const string Prefix = "/__livepreview/";
    public const string ScriptName = "client.js";
    public const string ReportName = "report";

    public const string Source = """
        (() => {
          if (window.__livepreviewClient) return; window.__livepreviewClient = true;
          const endpoint = new URL('report', document.currentScript ? document.currentScript.src : location.origin + '/__livepreview/');
          let sent = 0;
          const send = (kind, message, stack) => {
            if (++sent > 50) return;
            const body = JSON.stringify({ kind, message: String(message || '').slice(0, 4000), stack: stack ? String(stack).slice(0, 4000) : null, url: location.href });
            try { fetch(endpoint, { method: 'POST', body, keepalive: true, headers: { 'content-type': 'application/json' } }).catch(() => {}); } catch {}
          };
          addEventListener('error', e => {
            if (e.error || e.message) send('error', e.message, e.error && e.error.stack);
            else if (e.target && (e.target.src || e.target.href)) send('resource-error', 'Failed to load ' + (e.target.src || e.target.href));
          }, true);
          addEventListener('unhandledrejection', e => send('unhandledrejection', e.reason && (e.reason.message || e.reason), e.reason && e.reason.stack));
          const original = console.error;
          console.error = (...args) => { send('console-error', args.map(a => a && a.stack ? a.stack : String(a)).join(' ')); original.apply(console, args); };
          new MutationObserver(() => {
            const overlay = document.querySelector('vite-error-overlay');
            if (overlay && !overlay.__livepreviewSeen) {
              overlay.__livepreviewSeen = true;
              const text = overlay.shadowRoot && overlay.shadowRoot.querySelector('.message');
              send('vite-error', text ? text.textContent : 'Vite showed its error overlay');
            }
          }).observe(document.documentElement, { childList: true, subtree: true });
        })();
        """;

    /// <summary>Answers the script and report requests; false when the path is not ours.</summary>
    public static async Task<bool> TryHandleAsync(HttpContext context, string relativePath, PreviewSnapshot preview, ClientReports reports)
    {
        if (!relativePath.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }
        var name = relativePath[Prefix.Length..];
        if (name == ScriptName && HttpMethods.IsGet(context.Request.Method))
        {
            context.Response.ContentType = "text/javascript; charset=utf-8";
            context.Response.Headers.CacheControl = "no-cache";
            await context.Response.WriteAsync(Source, context.RequestAborted);
        }
        else if (name == ReportName && HttpMethods.IsPost(context.Request.Method))
        {
            var verdict = await reports.AcceptAsync(context, preview);
            context.Response.StatusCode = verdict.StatusCode;
            if (verdict.Detail is { } detail)
            {
                await Results.Problem(detail: detail, statusCode: verdict.StatusCode).ExecuteAsync(context);
            }
        }
        else
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
        }
        return true;
    }
}
