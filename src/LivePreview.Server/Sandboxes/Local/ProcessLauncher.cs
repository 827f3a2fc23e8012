using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// Starts sandbox processes from one dedicated, long-lived thread. bwrap's <c>--die-with-parent</c>
/// is PR_SET_PDEATHSIG, which fires when the *thread* that forked the child exits, not the process:
/// started from a thread-pool thread, a dev server is SIGKILLed as soon as the pool retires that
/// thread (measured: within a second of the starting thread ending).
/// </summary>
/// <remarks>
/// The same thread also opens the descriptors a start hands down (<see cref="InheritedFiles"/>) and
/// closes them right after the fork, so one sandbox's descriptors never reach another sandbox's process.
/// </remarks>
internal sealed class ProcessLauncher : IDisposable
{
    /// <summary>
    /// One start at a time in the whole process, whichever launcher (there is one per provider; tests
    /// make many): between opening a start's inheritable descriptors and its fork, another launcher must
    /// neither mark them close-on-exec (the child would find them gone: "Bad file descriptor") nor fork
    /// its own child with them open (one sandbox's files would reach another's process).
    /// </summary>
    private static readonly Lock StartGate = new();

    private readonly BlockingCollection<(Func<InheritedFiles, ProcessStartInfo> Build, TaskCompletionSource<Process> Result)> _requests = new();
    private readonly Thread _thread;

    public ProcessLauncher()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "LivePreview sandbox launcher" };
        _thread.Start();
    }

    public Task<Process> StartAsync(ProcessStartInfo start) => StartAsync(_ => start);

    /// <summary>Builds the start info on the launcher thread, with the descriptors it asks for open (and inheritable) until the child is forked.</summary>
    public Task<Process> StartAsync(Func<InheritedFiles, ProcessStartInfo> build)
    {
        var result = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests.Add((build, result));
        return result.Task;
    }

    /// <summary>Ends the thread, which kills (through PDEATHSIG) whatever it started that is still running.</summary>
    public void Dispose()
    {
        _requests.CompleteAdding();
        _thread.Join();
        _requests.Dispose();
    }

    private void Run()
    {
        foreach (var (build, result) in _requests.GetConsumingEnumerable())
        {
            try
            {
                Process started;
                lock (StartGate)
                {
                    using var files = new InheritedFiles();
                    var start = build(files);
                    files.CloseOnExecAllOthers();
                    started = Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{start.FileName}'.");
                }
                result.SetResult(started);
            }
            catch (Exception e)
            {
                result.SetException(e);
            }
        }
    }
}

/// <summary>
/// In-memory files (memfd) opened *without* O_CLOEXEC for one process start, so the child inherits
/// them as plain descriptor numbers (bubblewrap's <c>--args</c>, <c>--seccomp</c>, <c>--ro-bind-data</c>
/// read and close them). .NET opens its own descriptors close-on-exec and has no per-start descriptor
/// list, hence P/Invoke. Any other child the service forks in that instant inherits them too: they hold
/// only what the sandbox gets anyway (its arguments, its /etc files, the filter), never a host path handle.
/// </summary>
internal sealed class InheritedFiles : IDisposable
{
    private readonly List<int> _descriptors = [];

    /// <summary>A new descriptor holding <paramref name="content"/>, positioned at its start.</summary>
    public int Add(string name, ReadOnlySpan<byte> content)
    {
        var fd = MemfdCreate(name, 0);
        if (fd < 0)
        {
            throw LibC.Error("Creating", $"the in-memory file {name}", LibC.LastError);
        }
        _descriptors.Add(fd);
        var written = 0;
        while (written < content.Length)
        {
            var result = Write(fd, content[written..].ToArray(), (nuint)(content.Length - written));
            if (result <= 0)
            {
                throw LibC.Error("Writing", $"the in-memory file {name}", LibC.LastError);
            }
            written += (int)result;
        }
        if (Lseek(fd, 0, 0 /* SEEK_SET */) != 0)
        {
            throw LibC.Error("Rewinding", $"the in-memory file {name}", LibC.LastError);
        }
        return fd;
    }

    /// <summary>
    /// A copy of <paramref name="handle"/> (a terminal's slave) without close-on-exec, closed again right after the fork
    /// like the in-memory files. The copy is made inside the start gate, so only this start's child inherits it.
    /// </summary>
    public int Inherit(SafeHandle handle)
    {
        var fd = Dup(handle);
        if (fd < 0)
        {
            throw LibC.Error("Duplicating", "a descriptor to hand down", LibC.LastError);
        }
        _descriptors.Add(fd);
        return fd;
    }

    /// <summary>
    /// A pipe whose read end the child inherits (the returned number) and whose write end stays with
    /// the caller, close-on-exec so that no child (this one or another sandbox's) ever holds it.
    /// </summary>
    public int AddPipe(out SafeFileHandle writeEnd)
    {
        var ends = new int[2];
        if (Pipe2(ends, LibC.O_CLOEXEC) != 0)
        {
            throw LibC.Error("Creating", "a pipe", LibC.LastError);
        }
        writeEnd = new SafeFileHandle(ends[1], ownsHandle: true);
        _descriptors.Add(ends[0]);
        if (Fcntl(ends[0], 2 /* F_SETFD */, 0) != 0)
        {
            var error = LibC.LastError;
            writeEnd.Dispose();
            throw LibC.Error("Making inheritable", "a pipe", error);
        }
        return ends[0];
    }

    /// <summary>
    /// Marks every other open descriptor above stderr close-on-exec: .NET's own are already, but the
    /// service may have inherited some from whatever started it (a test runner's pipe, a supervisor's
    /// socket), and those must not reach a sandbox.
    /// </summary>
    public void CloseOnExecAllOthers()
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd").ToList())
        {
            if (int.TryParse(Path.GetFileName(entry), System.Globalization.CultureInfo.InvariantCulture, out var fd) && fd > 2 && !_descriptors.Contains(fd))
            {
                var flags = Fcntl(fd, 1 /* F_GETFD */, 0);
                if (flags >= 0 && (flags & 1 /* FD_CLOEXEC */) == 0)
                {
                    Fcntl(fd, 2 /* F_SETFD */, flags | 1);
                }
            }
        }
    }

    public void Dispose()
    {
        foreach (var fd in _descriptors)
        {
            Close(fd);
        }
        _descriptors.Clear();
    }

    [DllImport("libc", EntryPoint = "memfd_create", SetLastError = true)]
    public static extern int MemfdCreate(string name, uint flags);

    [DllImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    private static extern int Pipe2(int[] descriptors, int flags);

    [DllImport("libc", EntryPoint = "write", SetLastError = true)]
    private static extern nint Write(int fd, byte[] buffer, nuint count);

    [DllImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static extern long Lseek(int fd, long offset, int whence);

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int Fcntl(int fd, int command, int argument);

    [DllImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static extern int Dup(SafeHandle fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
