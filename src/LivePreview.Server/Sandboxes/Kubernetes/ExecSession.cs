using System.Net.WebSockets;
using System.Text;
using k8s;
using k8s.Models;

namespace LivePreview.Sandboxes.Kubernetes;

/// <summary>
/// One exec stream: stdin (channel 0), stdout (1), stderr (2), the error channel (3) whose <c>Status</c> carries the exit
/// code, and resize (4) for a TTY. The library's buffers block their readers, so every reader runs on a thread of its own
/// rather than holding a pool thread.
/// </summary>
internal sealed class ExecSession : IDisposable
{
    private readonly StreamDemuxer _demuxer;
    private readonly Stream _error;
    private int _disposed;

    private ExecSession(WebSocket socket)
    {
        // v5 is the protocol with a stdin close (EOF); on a v4 server stdin only ends with the stream.
        SupportsStdinClose = socket.SubProtocol == WebSocketProtocol.V5BinaryWebsocketProtocol;
        _demuxer = new StreamDemuxer(socket, StreamType.RemoteCommand, ownsSocket: true, supportsClose: SupportsStdinClose);
        // Streams are registered before the loop starts: the demuxer drops frames for a channel nobody asked for.
        Input = _demuxer.GetStream(null, ChannelIndex.StdIn);
        Output = _demuxer.GetStream(ChannelIndex.StdOut, null);
        Errors = _demuxer.GetStream(ChannelIndex.StdErr, null);
        _error = _demuxer.GetStream(ChannelIndex.Error, null);
        _demuxer.Start();
        Exited = Task.Factory.StartNew(ReadStatus, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public bool SupportsStdinClose { get; }

    public Stream Input { get; }

    public Stream Output { get; }

    public Stream Errors { get; }

    /// <summary>The exit code from the error channel's Status; null when the stream ended without one (the connection dropped).</summary>
    public Task<int?> Exited { get; }

    public static async Task<ExecSession> OpenAsync(IKubernetes client, string ns, string pod, IReadOnlyList<string> command, bool tty, CancellationToken cancellationToken)
    {
        var socket = await client.WebSocketNamespacedPodExecAsync(pod, ns, command, KubernetesObjects.Container, stderr: !tty, stdin: true, stdout: true, tty: tty,
            webSocketSubProtocol: WebSocketProtocol.V4BinaryWebsocketProtocol, cancellationToken: cancellationToken);
        return new ExecSession(socket);
    }

    public Task WriteInputAsync(byte[] data, CancellationToken cancellationToken) => _demuxer.Write(ChannelIndex.StdIn, data, 0, data.Length, cancellationToken);

    /// <summary>EOF on stdin (v5); false when the server speaks v4, which has none.</summary>
    public async Task<bool> CloseInputAsync()
    {
        if (!SupportsStdinClose || Volatile.Read(ref _disposed) == 1)
        {
            return false;
        }
        await _demuxer.CloseChannel(ChannelIndex.StdIn, CancellationToken.None);
        return true;
    }

    /// <summary>TTY window size on the resize channel, as kubectl sends it.</summary>
    public Task ResizeAsync(int columns, int rows)
    {
        var json = Encoding.UTF8.GetBytes($"{{\"Width\":{columns},\"Height\":{rows}}}");
        return _demuxer.Write(ChannelIndex.Resize, json, 0, json.Length, CancellationToken.None);
    }

    /// <summary>Reads <paramref name="stream"/> to its end on a thread of its own.</summary>
    public static Task PumpAsync(Stream stream, Action<byte[], int> onData) => Task.Factory.StartNew(() =>
    {
        var buffer = new byte[16 * 1024];
        int read;
        try
        {
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                onData(buffer, read);
            }
        }
        catch (ObjectDisposedException)
        {
        }
    }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private int? ReadStatus()
    {
        string text;
        try
        {
            using var reader = new StreamReader(_error, Encoding.UTF8);
            text = reader.ReadToEnd();
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var status = KubernetesJson.Deserialize<V1Status>(text);
        return status switch
        {
            { Status: "Success" } => 0,
            { Status: "Failure", Reason: "NonZeroExitCode" } when int.TryParse(status.Details?.Causes?.FirstOrDefault(c => c.Reason == "ExitCode")?.Message, out var code) => code,
            // The exec itself failed (no such container, the program not found): what a shell reports for a command it could not run.
            _ => throw new KubernetesExecException(status?.Message ?? text),
        };
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _demuxer.Dispose();
        }
    }
}

/// <summary>The API server could not run the exec (its Status is not an exit code).</summary>
internal sealed class KubernetesExecException(string message) : Exception($"The exec failed: {SandboxText.Clean(message, 300)}");
