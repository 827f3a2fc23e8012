using System.Net.WebSockets;
using System.Text.Json;
using k8s.Models;
using LivePreview.Sandboxes;

namespace LivePreview.Tests.Support;

/// <summary>
/// Exec with <c>tty=true</c>, as the kubelet serves it: the command runs on a real pseudo-terminal (the Local provider's own
/// PTY, in the pod's sandbox, as the session leader with the terminal as its controlling TTY, which is what the container
/// runtime does), channel 0 is the terminal's input, channel 1 its output (a TTY has no stderr), channel 4 a resize as
/// <c>{"Width":W,"Height":H}</c> (TIOCSWINSZ on the PTY), the error channel 3 the exit Status. The stream's end hangs the
/// terminal up, which here kills it.
/// </summary>
public sealed partial class FakeKubernetes
{
    private const byte ResizeChannel = 4;

    /// <summary>Every resize the fake applied, as (width, height), in order.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(int Width, int Height)> Resizes { get; } = new();

    private async Task ExecTerminalAsync(WebSocket socket, FakePod pod, string[] command)
    {
        ISandboxTerminal terminal;
        try
        {
            // A runtime starts a TTY with no size; the client sends one first thing.
            terminal = await _local.Provider.StartTerminalAsync(pod.LocalId, new SandboxTerminalSpec(80, 24), command, CancellationToken.None);
        }
        catch (Exception ex)
        {
            await SendStatusAsync(socket, new V1Status { Status = "Failure", Reason = "InternalError", Message = ex.Message });
            return;
        }
        await using (terminal)
        {
            var sending = new SemaphoreSlim(1, 1);
            var receiving = ReceiveTerminalAsync(socket, terminal);
            await Task.Factory.StartNew(() => PumpTerminal(socket, sending, terminal.Stream), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            var code = await terminal.Exited;
            await SendStatusAsync(socket, ExitStatus(code, command));
            await receiving;
        }
    }

    /// <summary>The PTY master's output to channel 1 until no process holds the terminal (EIO).</summary>
    private static void PumpTerminal(WebSocket socket, SemaphoreSlim sending, Stream master)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = master.Read(buffer, 0, buffer.Length)) > 0)
            {
                SendAsync(socket, sending, 1, buffer[..read]).GetAwaiter().GetResult();
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
        }
    }

    private async Task ReceiveTerminalAsync(WebSocket socket, ISandboxTerminal terminal)
    {
        try
        {
            await foreach (var frame in FramesAsync(socket))
            {
                if (frame.Length > 1 && frame[0] == 0)
                {
                    await WriteQuietlyAsync(terminal.Stream, frame.AsMemory(1));
                }
                else if (frame.Length > 1 && frame[0] == ResizeChannel)
                {
                    Resize(terminal, frame.AsSpan(1));
                }
            }
        }
        catch (WebSocketException)
        {
        }
        if (!terminal.Exited.IsCompleted)
        {
            await terminal.KillAsync();
        }
    }

    /// <summary>The apiserver's <c>TerminalSize</c> (Go field names, no JSON tags: exactly <c>Width</c> and <c>Height</c>); anything else is ignored, as the kubelet logs and drops it.</summary>
    private void Resize(ISandboxTerminal terminal, ReadOnlySpan<byte> json)
    {
        try
        {
            using var size = JsonDocument.Parse(json.ToArray());
            var width = size.RootElement.GetProperty("Width").GetUInt16();
            var height = size.RootElement.GetProperty("Height").GetUInt16();
            if (width > 0 && height > 0)
            {
                terminal.Resize(width, height);
                Resizes.Enqueue((width, height));
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or FormatException or InvalidOperationException or IOException)
        {
        }
    }

    private static async Task WriteQuietlyAsync(Stream master, ReadOnlyMemory<byte> data)
    {
        try
        {
            await master.WriteAsync(data);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The shell has exited: its terminal is gone.
        }
    }
}
