using System.Globalization;
using System.Threading.Channels;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// Terminals: a login shell started exactly like every other sandbox process (netns → setpriv → bwrap with the same
/// arguments, cgroups joined before bwrap lets the command run), with one more inherited descriptor, the PTY slave.
/// </summary>
internal sealed partial class LocalSandboxProvider
{
    /// <summary>
    /// Run inside the sandbox by bash: moves the inherited slave (its number is <c>$1</c>, a number the service
    /// chose) onto stdin, stdout and stderr, closes the original (<c>{fd}&gt;&amp;-</c>) and execs util-linux setsid, which makes the shell a session leader with the
    /// slave as its controlling terminal (TIOCSCTTY), so Ctrl-C and job control reach its foreground job. Fixed text:
    /// nothing a user typed is ever part of it; the shell and its arguments follow as <c>"$@"</c>.
    /// <c>--wait</c>: bwrap's command is a process-group leader already (bwrap --new-session), so setsid forks, and the
    /// sandbox must live until the shell, not setsid's parent, exits. bash, not dash: dash refuses descriptors above 9
    /// ("Bad fd number"), and the service's descriptor numbers are higher.
    /// </summary>
    private const string TerminalScript = "fd=$1; shift; exec /usr/bin/setsid --wait --ctty \"$@\" <&\"$fd\" >&\"$fd\" 2>&\"$fd\" {fd}>&-";

    /// <summary>A terminal's launcher writes only bwrap's own errors; a few lines are kept, none ever block it.</summary>
    private const int TerminalLauncherLines = 64;

    public Task<ISandboxTerminal> StartTerminalAsync(string sandboxId, SandboxTerminalSpec spec, CancellationToken cancellationToken) =>
        StartTerminalAsync(sandboxId, spec, LoginShell(), cancellationToken);

    /// <summary>
    /// <paramref name="command"/> on the terminal instead of the login shell: how the Kubernetes test double runs a TTY exec's
    /// argv on a real PTY. Nothing of the API reaches it; the service's terminals are always the login shell.
    /// </summary>
    internal async Task<ISandboxTerminal> StartTerminalAsync(string sandboxId, SandboxTerminalSpec spec, IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(command);
        if (!File.Exists(Bash))
        {
            throw new NotSupportedException($"Terminals need {Bash} (the sandbox's /usr is the host's); install bash on this host.");
        }
        var environment = new Dictionary<string, string>(spec.Environment ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            ["TERM"] = "xterm-256color",
            ["COLORTERM"] = "truecolor",
        };
        var shell = new SandboxProcessSpec(command, environment);
        var terminal = PseudoTerminal.Open(spec.Columns, spec.Rows);
        try
        {
            var process = await StartAsync(sandboxId, shell, TerminalLauncherLines, BoundedChannelFullMode.DropOldest, cancellationToken,
                (files, command) => command with
                {
                    Command = [Bash, "-c", TerminalScript, "lp-terminal", files.Inherit(terminal.Slave).ToString(CultureInfo.InvariantCulture), .. command.Command],
                });
            terminal.CloseSlave();
            return new LocalSandboxTerminal(process, terminal);
        }
        catch
        {
            terminal.Dispose();
            throw;
        }
    }

    private const string Bash = "/usr/bin/bash";

    /// <summary>The sandbox's /usr is the host's (read-only), so what exists here exists there.</summary>
    private static string[] LoginShell() => [Bash, "-l"];
}
