using System.Net.WebSockets;
using System.Text;
using k8s;
using k8s.Models;
using LivePreview.Sandboxes;
using Microsoft.AspNetCore.Http;

namespace LivePreview.Tests.Support;

/// <summary>
/// Exec as the kubelet serves it through the apiserver: a WebSocket on <c>v5.channel.k8s.io</c> or <c>v4.channel.k8s.io</c>
/// (the first the client offers that is known), binary frames whose first byte is the channel. The command runs in the pod's
/// sandbox under a small node shim that hands its stdout and stderr bytes back exactly (the local provider's output is lines)
/// and its exit code; stdin is the command's own.
/// </summary>
public sealed partial class FakeKubernetes
{
    private const string V5 = "v5.channel.k8s.io";
    private const string V4 = "v4.channel.k8s.io";

    /// <summary>Runs argv[1..] with stdin inherited; prints "o|e base64" per chunk, then "x code" (128+signal when killed by one), or "f message" if it could not start.</summary>
    private const string Shim = """
        const { spawn } = require('child_process');
        const os = require('os');
        const [cmd, ...args] = process.argv.slice(1);
        const child = spawn(cmd, args, { stdio: ['inherit', 'pipe', 'pipe'] });
        const out = (tag) => (data) => process.stdout.write(tag + ' ' + data.toString('base64') + '\n');
        child.stdout.on('data', out('o'));
        child.stderr.on('data', out('e'));
        child.on('error', (e) => process.stdout.write('f ' + Buffer.from(String(e.message)).toString('base64') + '\n'));
        child.on('close', (code, signal) => process.stdout.write('x ' + (code ?? 128 + os.constants.signals[signal]) + '\n'));
        """;

    /// <summary>Which protocol each exec was served on, in order (a test can check v5 was negotiated).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> ExecProtocols { get; } = new();

    private async Task ExecAsync(HttpContext c, string name)
    {
        if (!_pods.TryGetValue(name, out var pod))
        {
            await NotFound(c, "pods", name);
            return;
        }
        var command = c.Request.Query["command"].Select(v => v ?? "").ToArray();
        if (pod.Object.Status.Phase != "Running" || command.Length == 0 || !c.WebSockets.IsWebSocketRequest)
        {
            await Status(c, 400, "BadRequest", command.Length == 0 ? "you must specify at least 1 command"
                : $"unable to upgrade connection: container not found (\"{KubernetesObjectsContainer(pod)}\")");
            return;
        }
        var protocol = c.WebSockets.WebSocketRequestedProtocols.FirstOrDefault(p => p is V5 or V4);
        if (protocol is null)
        {
            await Status(c, 400, "BadRequest", "no supported channel protocol requested");
            return;
        }
        ExecProtocols.Enqueue(protocol);
        var stdin = Flag(c, "stdin");
        using var socket = await c.WebSockets.AcceptWebSocketAsync(protocol);
        if (Flag(c, "tty"))
        {
            await ExecTerminalAsync(socket, pod, command);
            return;
        }
        ISandboxProcess process;
        try
        {
            process = await _local.Provider.StartProcessAsync(pod.LocalId, new SandboxProcessSpec(["node", "-e", Shim, .. command], OpenInput: stdin, LosslessOutput: true), CancellationToken.None);
        }
        catch (Exception ex)
        {
            await SendStatusAsync(socket, new V1Status { Status = "Failure", Reason = "InternalError", Message = ex.Message });
            return;
        }
        await using (process)
        {
            var sending = new SemaphoreSlim(1, 1);
            var receiving = ReceiveAsync(socket, process.Input, protocol == V5);
            V1Status? status = null;
            await foreach (var line in process.ReadOutputAsync(CancellationToken.None))
            {
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                var (tag, payload) = space < 0 ? (line, "") : (line[..space], line[(space + 1)..]);
                switch (tag)
                {
                    case "o" or "e":
                        await SendAsync(socket, sending, tag == "o" ? (byte)1 : (byte)2, Convert.FromBase64String(payload));
                        break;
                    case "x" when int.TryParse(payload, out var code):
                        status = ExitStatus(code, command);
                        break;
                    case "f":
                        status = new V1Status { Status = "Failure", Reason = "InternalError", Message = $"exec failed: {Encoding.UTF8.GetString(Convert.FromBase64String(payload))}" };
                        break;
                }
            }
            await process.Exited;
            await SendStatusAsync(socket, status ?? new V1Status { Status = "Failure", Reason = "InternalError", Message = "the exec ended without an exit code" });
            await receiving;
        }
    }

    private static string KubernetesObjectsContainer(FakePod pod) => pod.Object.Spec.Containers[0].Name;

    private static bool Flag(HttpContext c, string name) => c.Request.Query[name] is { Count: > 0 } value && value[0] is "1" or "true";

    /// <summary>The error channel's Status for an exit code, as the kubelet words it.</summary>
    private static V1Status ExitStatus(int code, string[] command) => code == 0
        ? new V1Status { Status = "Success" }
        : new V1Status
        {
            Status = "Failure",
            Reason = "NonZeroExitCode",
            Message = $"command terminated with non-zero exit code: error executing command [{string.Join(' ', command)}], exit code {code}",
            Details = new V1StatusDetails { Causes = [new V1StatusCause { Reason = "ExitCode", Message = code.ToString(System.Globalization.CultureInfo.InvariantCulture) }] },
        };

    /// <summary>The client's messages, each whole (a frame may arrive in parts), until it closes.</summary>
    private static async IAsyncEnumerable<byte[]> FramesAsync(WebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        while (socket.State == WebSocketState.Open)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                message.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                yield break;
            }
            yield return message.ToArray();
        }
    }

    /// <summary>Frames from the client: channel 0 into the command's stdin; v5's close of channel 0, or the stream's end, is its EOF (as the kubelet does).</summary>
    private static async Task ReceiveAsync(WebSocket socket, Stream? input, bool v5)
    {
        try
        {
            await foreach (var frame in FramesAsync(socket))
            {
                if (frame.Length < 1)
                {
                    continue;
                }
                if (v5 && frame[0] == 255 && frame.Length >= 2 && frame[1] == 0 && input is not null)
                {
                    await input.DisposeAsync();
                    input = null;
                }
                else if (frame[0] == 0 && input is not null && frame.Length > 1)
                {
                    try
                    {
                        await input.WriteAsync(frame.AsMemory(1));
                        await input.FlushAsync();
                    }
                    catch (IOException)
                    {
                        // The command has exited: its stdin is gone.
                    }
                }
            }
        }
        catch (WebSocketException)
        {
        }
        if (input is not null)
        {
            try
            {
                await input.DisposeAsync();
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task SendAsync(WebSocket socket, SemaphoreSlim sending, byte channel, byte[] data)
    {
        var frame = new byte[data.Length + 1];
        frame[0] = channel;
        data.CopyTo(frame, 1);
        await sending.WaitAsync();
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                await socket.SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
            }
        }
        catch (WebSocketException)
        {
        }
        finally
        {
            sending.Release();
        }
    }

    /// <summary>The error channel's Status, then a normal close: what the apiserver sends when the command has exited.</summary>
    private static async Task SendStatusAsync(WebSocket socket, V1Status status)
    {
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                var json = Encoding.UTF8.GetBytes(StatusJson(status));
                await socket.SendAsync((byte[])[3, .. json], WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
            }
        }
        catch (WebSocketException)
        {
        }
    }
}
