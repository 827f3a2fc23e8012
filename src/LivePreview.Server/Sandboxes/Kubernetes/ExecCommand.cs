namespace LivePreview.Sandboxes.Kubernetes;

/// <summary>
/// The argv an exec runs for a sandbox process. The exec API has no working directory, environment or kill, so a fixed
/// script does them, and every caller value reaches it only as a positional argument (never inside the script's text).
/// </summary>
internal static class ExecCommand
{
    /// <summary>
    /// <c>$1</c> the working directory, then <c>env [-i] -- NAME=VALUE… program args…</c>. The command runs in a session of its
    /// own (<c>setsid</c>: its pid is its process group), so a kill reaches its whole tree. Without a caller stdin, the exec's
    /// stdin is the process's lifeline: a line on it, or its end (the stream closed: the service went away), kills the group.
    /// The exec API cannot signal a process, and closing a stream does not end one; this is how both are done. (A kill before
    /// <c>setsid</c> has made the group is retried while the process lives; <c>kill -9 -pgid</c>, since dash's kill takes no <c>--</c>.)
    /// </summary>
    private const string Supervised = """
        exec 3<&0 0</dev/null
        cd -- "$1" || exit 126
        shift
        setsid "$@" 3<&- &
        p=$!
        { read -r _ <&3; until kill -9 "-$p" 2>/dev/null; do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done; } &
        w=$!
        wait "$p" 2>/dev/null
        c=$?
        kill "$w" 2>/dev/null
        exit "$c"
        """;

    /// <summary>
    /// A process given the exec's stdin as its own: the lifeline cannot be on it, so its group is written to <c>$1</c>, where a
    /// kill exec reads it. <c>$2</c> is the working directory.
    /// </summary>
    private const string WithInput = """
        exec 3<&0
        f=$1
        cd -- "$2" || exit 126
        shift 2
        # An asynchronous command's stdin is /dev/null before its own redirections: give it the exec's back explicitly.
        setsid "$@" <&3 3<&- &
        p=$!
        echo "$p" > "$f"
        wait "$p" 2>/dev/null
        c=$?
        rm -f -- "$f"
        exit "$c"
        """;

    /// <summary>Kills the process group whose leader is written in <c>$1</c>.</summary>
    public const string KillGroup = """
        p=$(cat -- "$1" 2>/dev/null) || exit 0
        case "$p" in ''|*[!0-9]*) exit 0 ;; esac
        kill -9 "-$p" 2>/dev/null
        rm -f -- "$1"
        exit 0
        """;

    /// <summary>Every process the exec's user can signal, except the container's pid 1 and this shell: every process of the sandbox.</summary>
    public static readonly string[] KillAll = ["sh", "-c", "kill -9 -1 2>/dev/null; exit 0"];

    /// <summary>
    /// A login shell for a TTY exec (the runtime has made the exec a session leader with the TTY as its controlling terminal):
    /// <c>$1</c> a pid file, where the session's id goes for <see cref="KillSession"/>; <c>$2</c> the working directory; then
    /// <c>env -- NAME=VALUE…</c>, to which the shell is appended here (bash when the image has it, else sh). The shell is a child,
    /// not exec'd, so the pid file goes when it exits; job control gives it a process group of its own, so a Ctrl-C reaches its
    /// foreground job and never this script.
    /// </summary>
    private const string LoginShell = """
        f=$1
        cd -- "$2" || exit 126
        shift 2
        echo "$$" > "$f"
        s=sh
        command -v bash >/dev/null 2>&1 && s=bash
        "$@" "$s" -l
        c=$?
        rm -f -- "$f"
        exit "$c"
        """;

    /// <summary>
    /// Kills every process of the session whose id is written in <c>$1</c> (a terminal's shell and every job it started, each
    /// in a process group of its own), read from /proc (field 6 of <c>stat</c>, after the command's name in parentheses; a zombie
    /// is dead already); a scan is repeated while it found something, as a job may fork meanwhile.
    /// </summary>
    public const string KillSession = """
        p=$(cat -- "$1" 2>/dev/null) || exit 0
        case "$p" in ''|*[!0-9]*) exit 0 ;; esac
        rm -f -- "$1"
        n=0
        while [ "$n" -lt 20 ]; do
          found=
          for s in /proc/[0-9]*/stat; do
            read -r l < "$s" 2>/dev/null || continue
            set -- ${l##*") "}
            [ "$4" = "$p" ] && [ "$1" != Z ] || continue
            d=${s%/stat}
            kill -9 "${d#/proc/}" 2>/dev/null && found=1
          done
          [ -n "$found" ] || exit 0
          n=$((n + 1))
        done
        exit 0
        """;

    public static string[] Build(SandboxProcessSpec spec, string directory, IReadOnlyDictionary<string, string> environment, string? pidFile)
    {
        if (spec.Command.Count == 0 || spec.Command[0].Length == 0)
        {
            throw new ArgumentException("The command is empty.", nameof(spec));
        }
        if (spec.Command[0].Contains('='))
        {
            // env would take it for a variable.
            throw new ArgumentException("The program's name contains '='.", nameof(spec));
        }
        var env = Env(environment, spec.ExactEnvironment, nameof(spec));
        return pidFile is null
            ? ["sh", "-c", Supervised, "lp", directory, .. env, .. spec.Command]
            : ["sh", "-c", WithInput, "lp", pidFile, directory, .. env, .. spec.Command];
    }

    /// <summary>The argv of a terminal's exec: <see cref="LoginShell"/> with the pod's environment plus <paramref name="environment"/>.</summary>
    public static string[] Terminal(string directory, IReadOnlyDictionary<string, string> environment, string pidFile) =>
        ["sh", "-c", LoginShell, "lp", pidFile, directory, .. Env(environment, exact: false, nameof(environment))];

    /// <summary><c>env [-i] -- NAME=VALUE…</c>, each variable one argument.</summary>
    private static List<string> Env(IReadOnlyDictionary<string, string> environment, bool exact, string parameter)
    {
        List<string> env = ["env"];
        if (exact)
        {
            env.Add("-i");
        }
        env.Add("--");
        foreach (var (name, value) in environment)
        {
            if (name.Length == 0 || name.Contains('=') || name.Contains('\0') || value.Contains('\0'))
            {
                throw new ArgumentException($"The environment variable name '{SandboxText.Clean(name, 60)}' cannot be set.", parameter);
            }
            env.Add($"{name}={value}");
        }
        return env;
    }
}
