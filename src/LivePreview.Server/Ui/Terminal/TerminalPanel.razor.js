// A sandbox's shell in xterm.js, over GET /api/v1/sandboxes/{id}/terminal: binary messages are raw terminal bytes both
// ways, text messages JSON control ({"type":"resize"} from us, {"type":"exit"} from the server). The socket is opened
// same-origin, so the browser sends the dashboard's cookie and the Origin the server checks. When it drops while the
// page is open, the panel reconnects to the same named terminal and the server replays the recent output.

const RetryFirstMs = 500;
const RetryMaxMs = 10_000;

let libraries;

/** xterm.js and its fit addon are UMD builds from npm (see ClientLibs/): loaded once per page, as globals. */
function loadLibraries() {
  libraries ??= (async () => {
    if (!document.querySelector('link[data-lp-xterm]')) {
      const css = document.createElement('link');
      css.rel = 'stylesheet';
      css.href = '/lib/xterm/xterm.css';
      css.dataset.lpXterm = '';
      document.head.append(css);
    }
    await loadScript('/lib/xterm/xterm.js');
    await loadScript('/lib/xterm/addon-fit.js');
  })();
  return libraries;
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`Could not load ${src}`));
    document.head.append(script);
  });
}

/**
 * Starts a terminal in `host` for the sandbox's terminal `name` (null: the default one). Returns a handle whose
 * dispose() closes the socket; the shell itself lives on in the sandbox until it exits or the sandbox goes.
 */
export async function start(host, sandboxId, name) {
  await loadLibraries();
  const term = new globalThis.Terminal({
    cursorBlink: true,
    fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace',
    fontSize: 13,
    scrollback: 5000,
    theme: { background: '#0f1115', foreground: '#e6e6e6' },
  });
  const fit = new globalThis.FitAddon.FitAddon();
  term.loadAddon(fit);
  term.open(host);

  const key = name ? `${sandboxId}/${name}` : sandboxId;
  const encoder = new TextEncoder();
  let socket = null;
  let exited = false;
  let disposed = false;
  let retryMs = RetryFirstMs;
  let retryTimer = 0;

  const setState = (state) => { host.dataset.state = state; };

  /** Fits to the host's size, unless it is hidden (a tab not shown): then there is nothing to measure. */
  const fitNow = () => {
    if (!disposed && host.clientWidth > 0 && host.clientHeight > 0) {
      fit.fit();
    }
  };

  const send = (data) => {
    if (socket?.readyState === WebSocket.OPEN) {
      socket.send(data);
    }
  };

  const connect = () => {
    if (disposed) {
      return;
    }
    fitNow();
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const query = new URLSearchParams({ cols: String(term.cols), rows: String(term.rows) });
    if (name) {
      query.set('terminal', name);
    }
    const ws = new WebSocket(`${scheme}//${location.host}/api/v1/sandboxes/${encodeURIComponent(sandboxId)}/terminal?${query}`);
    ws.binaryType = 'arraybuffer';
    socket = ws;
    setState('connecting');
    ws.onopen = () => {
      retryMs = RetryFirstMs;
      // The server starts with the recent output: a clean screen, or a reattach would show it twice.
      term.reset();
      setState('open');
      // The size may have changed while connecting; the size in the URL only sizes a new shell.
      send(JSON.stringify({ type: 'resize', cols: term.cols, rows: term.rows }));
    };
    ws.onmessage = (e) => {
      if (e.data instanceof ArrayBuffer) {
        term.write(new Uint8Array(e.data));
        return;
      }
      let control;
      try {
        control = JSON.parse(e.data);
      } catch {
        return;
      }
      if (control?.type === 'exit') {
        exited = true;
        term.write(`\r\n[exited with code ${control.code}] Press any key for a new shell.\r\n`);
        setState('exited');
      }
    };
    ws.onclose = () => {
      if (socket !== ws) {
        return;
      }
      socket = null;
      if (disposed || exited) {
        return;
      }
      // Dropped (network, a restart, the sandbox not running yet): try again, backing off.
      setState('reconnecting');
      retryTimer = setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, RetryMaxMs);
    };
  };

  term.onData((data) => {
    if (exited) {
      exited = false;
      connect();
      return;
    }
    send(encoder.encode(data));
  });
  // Some mouse reports are not valid UTF-16; xterm hands them over as one char per byte.
  term.onBinary((data) => send(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));
  term.onResize(({ cols, rows }) => send(JSON.stringify({ type: 'resize', cols, rows })));

  const observer = new ResizeObserver(fitNow);
  observer.observe(host);

  const handle = {
    /** The rendered buffer's text, one line per row (scrollback included), trailing blanks trimmed: for tests. */
    buffer() {
      const buffer = term.buffer.active;
      const lines = [];
      for (let i = 0; i < buffer.length; i++) {
        lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
      }
      return lines.join('\n');
    },
    size() {
      return { cols: term.cols, rows: term.rows };
    },
    focus() {
      term.focus();
    },
    dispose() {
      if (disposed) {
        return;
      }
      disposed = true;
      clearTimeout(retryTimer);
      observer.disconnect();
      socket?.close(1000, 'The page closed the terminal.');
      socket = null;
      term.dispose();
      if (globalThis.__lpTerminals?.[key] === handle) {
        delete globalThis.__lpTerminals[key];
      }
    },
  };
  globalThis.__lpTerminals ??= {};
  globalThis.__lpTerminals[key] = handle;
  connect();
  return handle;
}
