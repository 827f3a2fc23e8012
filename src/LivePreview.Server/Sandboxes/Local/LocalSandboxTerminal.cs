namespace LivePreview.Sandboxes.Local;

/// <summary>
/// A shell on a PTY: the sandbox process tree (registered like any other, so Stop, Delete and shutdown kill it) and
/// the master side of its terminal, which only the service holds.
/// </summary>
internal sealed class LocalSandboxTerminal : ISandboxTerminal
{
    private readonly LocalSandboxProcess _process;
    private readonly PseudoTerminal _terminal;
    private readonly FileStream _stream;

    public LocalSandboxTerminal(LocalSandboxProcess process, PseudoTerminal terminal)
    {
        _process = process;
        _terminal = terminal;
        // Unbuffered: every keystroke goes out at once, and a read returns whatever the terminal has.
        _stream = new FileStream(terminal.Master, FileAccess.ReadWrite, bufferSize: 0, isAsync: false);
    }

    /// <summary>The launcher, whose output holds bwrap's own errors (a shell that could not start).</summary>
    internal ISandboxProcess Process => _process;

    public Stream Stream => _stream;

    public Task<int> Exited => _process.Exited;

    public void Resize(int columns, int rows) => _terminal.Resize(columns, rows);

    public Task KillAsync() => _process.KillAsync();

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.DisposeAsync();
        }
        finally
        {
            await _stream.DisposeAsync();
            _terminal.Dispose();
        }
    }
}
