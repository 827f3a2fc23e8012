using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// Creates a listening socket inside a named network namespace. A socket belongs to the namespace of
/// the thread that created it, for life; setns(2) with CLONE_NEWNET changes only the calling thread,
/// so a short-lived thread of its own enters the namespace, makes the socket and ends — no thread-pool
/// thread is ever left in a sandbox's network.
/// </summary>
internal static class NamespaceSocket
{
    private const int CLONE_NEWNET = 0x40000000;

    public static Socket Listen(string namespaceName, IPEndPoint endpoint, int backlog)
    {
        Socket? socket = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                socket = ListenOnThisThread(namespaceName, endpoint, backlog);
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        })
        { IsBackground = true, Name = "netns socket" };
        thread.Start();
        thread.Join();
        return socket ?? throw (failure is SocketException or IOException ? failure : new IOException($"Could not listen in network namespace '{namespaceName}'.", failure));
    }

    private static Socket ListenOnThisThread(string namespaceName, IPEndPoint endpoint, int backlog)
    {
        var target = Open(Path.Join("/run/netns", namespaceName));
        try
        {
            if (SetNs(target, CLONE_NEWNET) != 0)
            {
                throw LibC.Error("setns into", namespaceName, LibC.LastError);
            }
        }
        finally
        {
            Close(target);
        }
        // The thread ends right after this and never runs anything else, so it is not switched back.
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(endpoint);
            socket.Listen(backlog);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static int Open(string path)
    {
        var fd = OpenFile(path, LibC.O_RDONLY | LibC.O_CLOEXEC);
        return fd >= 0 ? fd : throw LibC.Error("Opening", path, LibC.LastError);
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int OpenFile(string path, int flags);

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(int fd, int nsType);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
