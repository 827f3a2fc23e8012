using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// A pseudo-terminal pair from the host's /dev/ptmx. The master stays in the service (close-on-exec, never handed
/// down); the slave is handed to exactly one sandbox launch (<see cref="InheritedFiles.Inherit"/>) and closed here
/// right after, so the master's reads end with EIO once the last process in the sandbox holding it is gone.
/// </summary>
/// <remarks>.NET has no PTY API, hence P/Invoke (DllImport: the project allows no unsafe code).</remarks>
internal sealed class PseudoTerminal : IDisposable
{
    private const int O_RDWR = 2, O_NOCTTY = 0x100;

    // TIOCSWINSZ is 0x5414 on x86-64 and arm64 alike (asm-generic/ioctls.h).
    private const ulong TIOCSWINSZ = 0x5414;

    private PseudoTerminal(SafeFileHandle master, SafeFileHandle slave)
    {
        Master = master;
        Slave = slave;
    }

    public SafeFileHandle Master { get; }

    public SafeFileHandle Slave { get; }

    /// <summary>A new pair with its window size set (before the shell starts, so its first prompt fits).</summary>
    public static PseudoTerminal Open(int columns, int rows)
    {
        var master = new SafeFileHandle(PosixOpenpt(O_RDWR | O_NOCTTY | LibC.O_CLOEXEC), ownsHandle: true);
        if (master.IsInvalid)
        {
            throw LibC.Error("Opening", "/dev/ptmx", LibC.LastError);
        }
        try
        {
            if (Grantpt(master) != 0 || Unlockpt(master) != 0)
            {
                throw LibC.Error("Unlocking", "the pseudo-terminal", LibC.LastError);
            }
            var name = new byte[128];
            var error = PtsnameR(master, name, (nuint)name.Length);
            if (error != 0)
            {
                throw LibC.Error("Naming", "the pseudo-terminal", error);
            }
            var path = System.Text.Encoding.ASCII.GetString(name, 0, Array.IndexOf(name, (byte)0));
            // O_NOCTTY: the service must never acquire the terminal as its own controlling terminal.
            var slave = new SafeFileHandle(Open(path, O_RDWR | O_NOCTTY | LibC.O_CLOEXEC), ownsHandle: true);
            if (slave.IsInvalid)
            {
                throw LibC.Error("Opening", path, LibC.LastError);
            }
            var terminal = new PseudoTerminal(master, slave);
            terminal.Resize(columns, rows);
            return terminal;
        }
        catch
        {
            master.Dispose();
            throw;
        }
    }

    public void Resize(int columns, int rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        var size = new WindowSize { Rows = checked((ushort)rows), Columns = checked((ushort)columns) };
        if (!Master.IsClosed && Ioctl(Master, TIOCSWINSZ, ref size) != 0)
        {
            throw LibC.Error("Resizing", "the pseudo-terminal", LibC.LastError);
        }
    }

    /// <summary>Once the sandbox holds its copy: from then on only sandbox processes keep the slave open.</summary>
    public void CloseSlave() => Slave.Dispose();

    public void Dispose()
    {
        Slave.Dispose();
        Master.Dispose();
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct WindowSize
    {
        public ushort Rows;
        public ushort Columns;
        public ushort XPixels;
        public ushort YPixels;
    }

    [DllImport("libc", EntryPoint = "posix_openpt", SetLastError = true)]
    private static extern int PosixOpenpt(int flags);

    [DllImport("libc", EntryPoint = "grantpt", SetLastError = true)]
    private static extern int Grantpt(SafeFileHandle fd);

    [DllImport("libc", EntryPoint = "unlockpt", SetLastError = true)]
    private static extern int Unlockpt(SafeFileHandle fd);

    [DllImport("libc", EntryPoint = "ptsname_r", SetLastError = true)]
    private static extern int PtsnameR(SafeFileHandle fd, byte[] buffer, nuint length);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open(string path, int flags);

    [DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static extern int Ioctl(SafeFileHandle fd, ulong request, ref WindowSize size);
}
