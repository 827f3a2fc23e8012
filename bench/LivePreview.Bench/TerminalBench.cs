using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using LivePreview.Tests.Support;

namespace LivePreview.Bench;

/// <summary>
/// Keystroke echo through the terminal socket: one byte sent on <c>WS /api/v1/sandboxes/{id}/terminal</c>, timed until
/// the shell's echo of it comes back (pty line discipline inside the sandbox, the terminal pump, the socket both ways).
/// A fresh letter each time, and the line cleared (Ctrl-U) between samples so the echo is the letter alone.
/// </summary>
internal sealed class TerminalBench(LivePreviewHost host, Report report)
{
    private const string Letters = "abcdefghijklmnopqrstuvwxyz";

    public async Task RunAsync(string sandboxId, int warmUp, int samples, CancellationToken cancellationToken)
    {
        using var socket = new ClientWebSocket();
        socket.Options.Proxy = null;
        socket.Options.SetRequestHeader("Authorization", $"Bearer {host.AdminKey}");
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{host.Port}/api/v1/sandboxes/{sandboxId}/terminal?terminal=bench"), cancellationToken);
        var reader = new Echoes(socket);
        await SendAsync(socket, "echo bench-rea" + "dy\r", cancellationToken);
        await reader.WaitForAsync("bench-ready", cancellationToken);
        await reader.WaitForQuietAsync(TimeSpan.FromMilliseconds(300), cancellationToken);
        var times = new List<double>();
        for (var i = 0; i < warmUp + samples; i++)
        {
            var letter = Letters[i % Letters.Length].ToString();
            reader.Reset();
            var clock = Stopwatch.StartNew();
            await SendAsync(socket, letter, cancellationToken);
            await reader.WaitForAsync(letter, cancellationToken);
            clock.Stop();
            if (i >= warmUp)
            {
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
            await SendAsync(socket, "\u0015", cancellationToken);
            await reader.WaitForQuietAsync(TimeSpan.FromMilliseconds(30), cancellationToken);
        }
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cancellationToken);
        report.Add(new Row("terminal keystroke echo", Stats.Ms(Stats.P50(times)), Stats.Ms(Stats.P95(times)), "—", "—",
            $"one byte on WS …/terminal until its echo arrives (bash in the sandbox's pty); {samples} samples after {warmUp} warm-up"));
    }

    private static Task SendAsync(ClientWebSocket socket, string keys, CancellationToken cancellationToken) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(keys), WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);

    /// <summary>
    /// The terminal's output since the last <see cref="Reset"/>, read by one pump for the socket's life (a cancelled
    /// receive would abort a ClientWebSocket, so waiters wait on a signal, never on the socket).
    /// </summary>
    private sealed class Echoes
    {
        private readonly Lock _lock = new();
        private readonly StringBuilder _seen = new();
        private readonly SemaphoreSlim _arrived = new(0);
        private long _lastArrival = Stopwatch.GetTimestamp();
        private Exception? _failure;

        public Echoes(ClientWebSocket socket) => _ = PumpAsync(socket);

        public void Reset()
        {
            lock (_lock)
            {
                _seen.Clear();
            }
        }

        public async Task WaitForAsync(string text, CancellationToken cancellationToken)
        {
            var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 30;
            while (true)
            {
                lock (_lock)
                {
                    if (_failure is not null)
                    {
                        throw new InvalidOperationException("The terminal socket failed.", _failure);
                    }
                    if (_seen.ToString().Contains(text, StringComparison.Ordinal))
                    {
                        return;
                    }
                }
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    throw new TimeoutException($"'{text}' never came back from the terminal.");
                }
                await _arrived.WaitAsync(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }

        /// <summary>Waits until nothing has come for <paramref name="quiet"/>: the prompt and control sequences after a keystroke are drained.</summary>
        public async Task WaitForQuietAsync(TimeSpan quiet, CancellationToken cancellationToken)
        {
            while (Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastArrival)) < quiet)
            {
                await Task.Delay(quiet / 3, cancellationToken);
            }
        }

        private async Task PumpAsync(ClientWebSocket socket)
        {
            var buffer = new byte[16 * 1024];
            try
            {
                while (true)
                {
                    var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }
                    if (result.MessageType == WebSocketMessageType.Binary)
                    {
                        lock (_lock)
                        {
                            _seen.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
                        }
                        Interlocked.Exchange(ref _lastArrival, Stopwatch.GetTimestamp());
                        _arrived.Release();
                    }
                }
            }
            catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
            {
                lock (_lock)
                {
                    _failure = ex;
                }
                _arrived.Release();
            }
        }
    }
}
