using System.Text;
using System.Text.Json;
using LivePreview.Events;
using LivePreview.Previews;

namespace LivePreview.Proxy;

/// <summary>
/// The small script the proxy adds to preview pages (switchable: LivePreview:Previews:InjectClientScript):
/// it reports uncaught errors, unhandled rejections, console errors and Vite's error overlay to
/// <c>/__livepreview/report</c> on the preview's own origin, where the proxy turns them into
/// PREVIEW_CLIENT_REPORT events — what the agent is shown to fix, and what the user sees.
/// </summary>
internal static class PreviewClientScript
{
    public const string Prefix = "/__livepreview/";
    public const string ScriptName = "client.js";
    public const string ReportName = "report";
    private const int MaxReportBytes = 16 * 1024;

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

    /// <summary>Inserts the script tag right after &lt;head&gt; (or at the start when there is none).</summary>
    public static string Inject(string html, string scriptUrl)
    {
        var tag = $"<script src=\"{scriptUrl}\"></script>";
        var head = html.IndexOf("<head", StringComparison.OrdinalIgnoreCase);
        var close = head < 0 ? -1 : html.IndexOf('>', head);
        return close < 0 ? tag + html : html.Insert(close + 1, tag);
    }

    /// <summary>Answers the script and report requests; false when the path is not ours.</summary>
    public static async Task<bool> TryHandleAsync(HttpContext context, string relativePath, PreviewSnapshot preview, IEventBus events)
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
            context.Response.StatusCode = await AcceptReportAsync(context, preview, events);
        }
        else
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
        }
        return true;
    }

    private static async Task<int> AcceptReportAsync(HttpContext context, PreviewSnapshot preview, IEventBus events)
    {
        var buffer = new byte[MaxReportBytes + 1];
        var length = 0;
        int read;
        while (length <= MaxReportBytes && (read = await context.Request.Body.ReadAsync(buffer.AsMemory(length), context.RequestAborted)) > 0)
        {
            length += read;
        }
        if (length > MaxReportBytes)
        {
            return StatusCodes.Status413PayloadTooLarge;
        }
        ClientReport? report;
        try
        {
            report = JsonSerializer.Deserialize<ClientReport>(Encoding.UTF8.GetString(buffer, 0, length), Hosting.JsonDefaults.Options);
        }
        catch (JsonException)
        {
            return StatusCodes.Status400BadRequest;
        }
        if (report?.Kind is not { Length: > 0 and < 40 } kind)
        {
            return StatusCodes.Status400BadRequest;
        }
        await events.PublishAsync(new EventDraft(EventTypes.PreviewClientReport, "preview", preview.Id, preview.SandboxId,
            new { kind, message = report.Message, stack = report.Stack, url = report.Url }));
        return StatusCodes.Status204NoContent;
    }

    private sealed record ClientReport(string? Kind, string? Message, string? Stack, string? Url);
}
