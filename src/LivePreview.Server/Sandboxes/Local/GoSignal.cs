using Microsoft.Win32.SafeHandles;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// The pipe bwrap waits on (<c>--block-fd</c>) until the launcher is in the sandbox's cgroups. Its read
/// end is handed down like the memfds (<see cref="InheritedFiles"/>), so it exists only in this one
/// start's child; the write end stays here, close-on-exec, so no other process ever holds it. A pipe of
/// its own rather than stdin, so that a command's stdin carries only what its caller writes.
/// </summary>
internal sealed class GoSignal(bool wanted) : IDisposable
{
    private SafeFileHandle? _writeEnd;

    /// <summary>On the launcher thread: the descriptor number bwrap blocks on, or null when nothing is to be waited for.</summary>
    public int? Open(InheritedFiles files)
    {
        if (!wanted)
        {
            return null;
        }
        var fd = files.AddPipe(out var writeEnd);
        _writeEnd = writeEnd;
        return fd;
    }

    /// <summary>The one byte that lets bwrap fork the command.</summary>
    public void Send()
    {
        if (_writeEnd is null)
        {
            return;
        }
        using var stream = new FileStream(_writeEnd, FileAccess.Write, bufferSize: 0);
        stream.WriteByte((byte)'x');
        _writeEnd = null;
    }

    public void Dispose()
    {
        _writeEnd?.Dispose();
        _writeEnd = null;
    }
}
