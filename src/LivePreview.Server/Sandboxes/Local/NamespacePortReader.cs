using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// Reads the listening TCP sockets of a named network namespace from <c>/proc/thread-self/net/tcp</c> and <c>tcp6</c>,
/// which show the network of the calling <em>thread</em>. One long-lived thread of its own does every read: it setns(2)s
/// into the sandbox's namespace (by its <c>/run/netns</c> name, so no sandbox pid is involved and none can be recycled
/// under it), reads the two kernel files, bounded, and waits for the next request. That thread runs nothing else and opens
/// no socket, so being left in a sandbox's network between reads is harmless; a failed setns fails its request before
/// anything is read, so a read can never show another namespace's sockets. Cheaper than starting a thread per read
/// (<see cref="NamespaceSocket"/> does that for the rare listen) at one poll per second per sandbox.
/// </summary>
internal sealed class NamespacePortReader : IDisposable
{
    private const int CLONE_NEWNET = 0x40000000;

    /// <summary>
    /// Per file. The kernel lists listening sockets before connections, so a namespace with a flood of connections
    /// loses connections beyond the bound, not listeners; and the kernel stops formatting where the reading stops.
    /// </summary>
    public const int MaxBytesPerFile = 128 * 1024;

    private readonly BlockingCollection<Request> _requests = new();
    private readonly Lock _startGate = new();
    private Thread? _thread;

    public Task<List<ListeningSocket>> ReadAsync(string namespaceName, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        EnsureStarted();
        var request = new Request(namespaceName, new TaskCompletionSource<List<ListeningSocket>>(TaskCreationOptions.RunContinuationsAsynchronously));
        _requests.Add(request, cancellationToken);
        return request.Done.Task.WaitAsync(cancellationToken);
    }

    private void EnsureStarted()
    {
        lock (_startGate)
        {
            if (_thread is null)
            {
                _thread = new Thread(Run) { IsBackground = true, Name = "netns ports" };
                _thread.Start();
            }
        }
    }

    private void Run()
    {
        foreach (var request in _requests.GetConsumingEnumerable())
        {
            try
            {
                request.Done.TrySetResult(ReadOnThisThread(request.Namespace));
            }
            catch (Exception ex)
            {
                request.Done.TrySetException(ex);
            }
        }
    }

    private static List<ListeningSocket> ReadOnThisThread(string namespaceName)
    {
        var fd = Open(Path.Join("/run/netns", namespaceName), LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0)
        {
            var error = LibC.LastError;
            // No namespace (a stopped or deleted sandbox): nothing listens.
            return error == LibC.ENOENT ? [] : throw LibC.Error("Opening the network namespace", namespaceName, error);
        }
        try
        {
            if (SetNs(fd, CLONE_NEWNET) != 0)
            {
                throw LibC.Error("setns into", namespaceName, LibC.LastError);
            }
        }
        finally
        {
            Close(fd);
        }
        var found = ProcNetTcp.ParseListeners(ReadBounded("/proc/thread-self/net/tcp"));
        found.AddRange(ProcNetTcp.ParseListeners(ReadBounded("/proc/thread-self/net/tcp6")));
        return found;
    }

    /// <summary>Synchronous on purpose: the open must happen on this thread, the one in the namespace.</summary>
    private static string ReadBounded(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
            var buffer = new byte[MaxBytesPerFile];
            var length = 0;
            int read;
            while (length < buffer.Length && (read = file.Read(buffer, length, buffer.Length - length)) > 0)
            {
                length += read;
            }
            return Encoding.ASCII.GetString(buffer, 0, length);
        }
        catch (FileNotFoundException)
        {
            // No IPv6 in this kernel: no tcp6.
            return "";
        }
    }

    public void Dispose() => _requests.CompleteAdding();

    private sealed record Request(string Namespace, TaskCompletionSource<List<ListeningSocket>> Done);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open(string path, int flags);

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(int fd, int nsType);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
