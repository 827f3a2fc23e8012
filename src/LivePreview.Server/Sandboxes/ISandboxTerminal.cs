namespace LivePreview.Sandboxes;

/// <summary>What a terminal starts with: its first window size and extra environment variables.</summary>
/// <param name="Columns">Window width in character cells.</param>
/// <param name="Rows">Window height in character cells.</param>
public sealed record SandboxTerminalSpec(int Columns, int Rows, IReadOnlyDictionary<string, string>? Environment = null);

/// <summary>
/// A login shell inside a sandbox on a pseudo-terminal. The master side stays in the service: <see cref="Stream"/>
/// carries the raw bytes (keystrokes in, screen output with its escape sequences out); only the slave reaches the sandbox.
/// </summary>
public interface ISandboxTerminal : IAsyncDisposable
{
    /// <summary>The PTY master: writes are keystrokes, reads are the terminal's output. Reads end (0 or an IOException) once the shell and everything holding the terminal are gone.</summary>
    Stream Stream { get; }

    /// <summary>Sets the window size (TIOCSWINSZ); the kernel sends SIGWINCH to the foreground job.</summary>
    void Resize(int columns, int rows);

    /// <summary>The shell's exit code once its whole process tree is gone.</summary>
    Task<int> Exited { get; }

    /// <summary>Kills the shell's whole process tree and waits for it to be gone.</summary>
    Task KillAsync();
}
