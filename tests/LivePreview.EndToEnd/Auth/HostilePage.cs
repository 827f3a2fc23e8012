namespace LivePreview.EndToEnd.Auth;

/// <summary>
/// A hostile page as sandbox code could serve it from its preview origin: it tries everything a page can do to the
/// dashboard with the cookie the browser holds for it, and reports what it could see. Nothing here is trusted by the test:
/// the service's state is checked separately.
/// </summary>
internal static class HostilePage
{
    public const string Path = "public/evil.html";

    public const string Html = """
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><title>totally harmless</title></head>
        <body>
        <h1 id="evil">evil</h1>
        <iframe name="sink-logout"></iframe><iframe name="sink-stop"></iframe><iframe name="sink-keys"></iframe>
        <script>
        async function tryFetch(url, init) {
          try {
            const r = await fetch(url, { credentials: 'include', ...init });
            let body = null;
            try { body = r.type === 'opaque' ? null : (await r.text()).slice(0, 300); } catch (e) { body = null; }
            return { type: r.type, status: r.status, body };
          } catch (e) {
            return { error: String(e) };
          }
        }
        function trySocket(url) {
          return new Promise(resolve => {
            let ws;
            try { ws = new WebSocket(url); } catch (e) { resolve({ open: false, error: String(e) }); return; }
            const messages = [];
            ws.onmessage = m => messages.push(String(m.data).slice(0, 200));
            // Once open, listen a little: an accepted event socket would stream every sandbox's events.
            ws.onopen = () => setTimeout(() => { resolve({ open: true, messages }); ws.close(); }, 1500);
            ws.onclose = e => resolve({ open: false, code: e.code });
          });
        }
        const text = { 'Content-Type': 'text/plain' };
        const json = { 'Content-Type': 'application/json' };
        window.attack = async (d, id) => {
          const ws = d.replace(/^http/, 'ws');
          const key = JSON.stringify({ user: 'mallory', name: 'stolen', admin: true });
          const prompt = JSON.stringify({ prompt: 'delete everything' });
          return {
            readMe: await tryFetch(d + '/api/v1/me'),
            readMeNoCors: await tryFetch(d + '/api/v1/me', { mode: 'no-cors' }),
            readSandboxes: await tryFetch(d + '/api/v1/sandboxes'),
            stopNoCors: await tryFetch(`${d}/api/v1/sandboxes/${id}/stop`, { method: 'POST', mode: 'no-cors' }),
            stopCors: await tryFetch(`${d}/api/v1/sandboxes/${id}/stop`, { method: 'POST' }),
            deleteCors: await tryFetch(`${d}/api/v1/sandboxes/${id}`, { method: 'DELETE' }),
            deleteNoCors: await tryFetch(`${d}/api/v1/sandboxes/${id}`, { method: 'DELETE', mode: 'no-cors' }),
            promptNoCors: await tryFetch(`${d}/api/v1/prototype/session/${id}/prompt`, { method: 'POST', mode: 'no-cors', headers: text, body: prompt }),
            promptJson: await tryFetch(`${d}/api/v1/prototype/session/${id}/prompt`, { method: 'POST', headers: json, body: prompt }),
            keyNoCors: await tryFetch(d + '/api/v1/keys', { method: 'POST', mode: 'no-cors', headers: text, body: key }),
            keyJson: await tryFetch(d + '/api/v1/keys', { method: 'POST', headers: json, body: key }),
            negotiateNoCors: await tryFetch(d + '/_blazor/negotiate?negotiateVersion=1', { method: 'POST', mode: 'no-cors' }),
            negotiateCors: await tryFetch(d + '/_blazor/negotiate?negotiateVersion=1', { method: 'POST' }),
            eventSocket: await trySocket(ws + '/api/v1/events/ws'),
            blazorSocket: await trySocket(ws + '/_blazor'),
          };
        };
        // Plain form posts (no CORS involved at all), into frames so this page stays.
        window.submitForms = (d, id) => {
          const post = (action, target, fields) => {
            const f = document.createElement('form');
            f.method = 'POST'; f.action = action; f.target = target;
            for (const [k, v] of Object.entries(fields)) {
              const i = document.createElement('input'); i.name = k; i.value = v; f.appendChild(i);
            }
            document.body.appendChild(f); f.submit();
          };
          post(d + '/logout', 'sink-logout', {});
          post(`${d}/api/v1/sandboxes/${id}/stop`, 'sink-stop', {});
          post(d + '/api/v1/keys', 'sink-keys', { user: 'mallory', name: 'stolen' });
        };
        </script>
        </body></html>
        """;
}
