using LivePreview.Previews;

namespace LivePreview.Proxy;

/// <summary>
/// The small script the proxy adds to preview pages (switchable: LivePreview:Previews:InjectClientScript):
/// it reports uncaught errors, unhandled rejections, console errors and Vite's error overlay to
/// <c>/__livepreview/report</c> on the preview's own origin (same-origin JSON POST), where <see cref="ClientReports"/>
/// turns them into PREVIEW_CLIENT_REPORT events — what the agent is shown to fix, and what the user sees.
/// It also reports each hot update once applied and painted to <c>/__livepreview/updated</c> (<see cref="PreviewUpdates"/>,
/// PREVIEW_UPDATED): on Vite it listens to Vite's own HMR events through <c>createHotContext</c> of the page's
/// <c>/@vite/client</c> (the same module instance: same URL), from <c>vite:beforeUpdate</c> (the update message
/// reached the page) to <c>vite:afterUpdate</c> (modules swapped, CSS links loaded; for React, React Refresh's render
/// right after) and two animation frames (the frame with the change was painted). On Next.js it uses the dev client's
/// <c>__NEXT_HMR_LATENCY_CB</c> hook, which is not a public API.
/// </summary>
internal static class PreviewClientScript
{
    public const string Prefix = "/__livepreview/";
    public const string ScriptName = "client.js";
    public const string ReportName = "report";
    public const string UpdatedName = "updated";

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

          // Edit-to-paint: when a hot update has been applied and painted, say how long that took on this page's clock.
          const updated = new URL('updated', endpoint);
          const now = () => performance.now();
          const painted = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(now()))));
          let updates = 0;
          const sendUpdate = (kind, list, applied, paint) => {
            if (++updates > 1000 || document.visibilityState === 'hidden') return;
            const body = JSON.stringify({ kind, updates: list.slice(0, 20), received_to_applied_ms: Math.max(0, applied), received_to_painted_ms: Math.max(applied, paint) });
            try { fetch(updated, { method: 'POST', body, keepalive: true, headers: { 'content-type': 'application/json' } }).catch(() => {}); } catch {}
          };
          // React Fast Refresh (@vitejs/plugin-react) renders 16 ms after Vite's afterUpdate (a debounce); its hook runs right
          // before that render, and a 20 ms timer set at afterUpdate fires after the debounce's, so no hook by then: no refresh.
          let refreshWaiter = null;
          const hookReactRefresh = () => {
            if (hookReactRefresh.done || typeof window.__registerBeforePerformReactRefresh !== 'function') return hookReactRefresh.done;
            window.__registerBeforePerformReactRefresh(() => { const r = refreshWaiter; refreshWaiter = null; if (r) r(true); });
            return hookReactRefresh.done = true;
          };
          const watchVite = () => {
            const tag = document.querySelector('script[type="module"][src$="/@vite/client"]');
            if (!tag) return;
            import(tag.src).then(vite => {
              if (typeof vite.createHotContext !== 'function') return;
              const hot = vite.createHotContext('/__livepreview/client.js');
              let current = null;
              hot.on('vite:beforeUpdate', p => {
                current = { at: now(), list: (p.updates || []).map(u => ({ path: String(u.acceptedPath || u.path).slice(0, 500), type: u.type, timestamp: u.timestamp })) };
              });
              // Vite awaits its listeners before the next update: measure beside it, never hold it up.
              const measure = async (update, appliedAt) => {
                const direct = painted();
                const refreshed = hookReactRefresh() && update.list.some(u => u.type === 'js-update')
                  ? await new Promise(r => { refreshWaiter = r; setTimeout(() => r(false), 20); }) : false;
                const applied = refreshed ? now() : appliedAt;
                const paint = refreshed ? await painted() : await direct;
                sendUpdate('hmr', update.list, applied - update.at, paint - update.at);
              };
              hot.on('vite:afterUpdate', () => {
                const update = current; current = null;
                if (update) measure(update, now()).catch(() => {});
              });
              hot.on('vite:beforeFullReload', () => {
                try { sessionStorage.setItem('__livepreviewReload', String(performance.timeOrigin + now())); } catch {}
              });
            }, () => {});
          };
          // A page Vite reloaded for an update: from the reload message on the old page to this one painted (same browser clock).
          let reloadAt = null;
          try { reloadAt = Number(sessionStorage.getItem('__livepreviewReload')); sessionStorage.removeItem('__livepreviewReload'); } catch {}
          if (reloadAt > 0) {
            addEventListener('load', async () => {
              const base = performance.timeOrigin;
              const applied = base + now() - reloadAt;
              const paint = base + (await painted()) - reloadAt;
              if (applied >= 0 && paint < 120000) sendUpdate('reload', [], applied, paint);
            });
          }
          if (document.readyState === 'loading') addEventListener('DOMContentLoaded', watchVite); else watchVite();
          // Next.js exposes no update events; its dev client calls this debugging hook once an update is applied, with the
          // time since its "building" message reached the page (so Next's figure includes the compile).
          if (!('__NEXT_HMR_LATENCY_CB' in window)) {
            window.__NEXT_HMR_LATENCY_CB = ms => {
              const appliedAt = now();
              painted().then(paint => sendUpdate('hmr', [], ms, ms + paint - appliedAt));
            };
          }
        })();
        """;

    /// <summary>Answers the script and report requests; false when the path is not ours.</summary>
    public static async Task<bool> TryHandleAsync(HttpContext context, string relativePath, PreviewSnapshot preview, ClientReports reports, PreviewUpdates updates)
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
        else if (name is (ReportName or UpdatedName) && HttpMethods.IsPost(context.Request.Method))
        {
            var verdict = name == ReportName ? await reports.AcceptAsync(context, preview) : await updates.AcceptAsync(context, preview);
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
