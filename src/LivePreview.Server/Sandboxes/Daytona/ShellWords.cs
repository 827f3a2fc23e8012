using System.Text;

namespace LivePreview.Sandboxes.Daytona;

/// <summary>
/// Daytona's session API takes one shell string (<c>SessionExecuteRequest.command</c>), not an argument list. This is the one
/// place such a string is made: every word is single-quoted (a quote inside becomes <c>'\''</c>), so the shell in the sandbox
/// sees exactly the argument list we were given and nothing in it is ever parsed as shell syntax. Variable names are checked
/// against the POSIX name rule instead of quoted (they sit left of '=' in an <c>env</c> argument).
/// </summary>
internal static class ShellWords
{
    public static string Quote(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (word.Contains('\0'))
        {
            throw new ArgumentException("A command word cannot contain a NUL character.", nameof(word));
        }
        return "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    /// <summary>
    /// <c>cd 'dir' &amp;&amp; exec env [-i] 'K=V'… 'program' 'arg'…</c>: the command replaces the shell, so its exit code is the
    /// command's and killing the session kills it.
    /// </summary>
    public static string Command(string directory, IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment, bool exact)
    {
        var text = new StringBuilder("cd ").Append(Quote(directory)).Append(" && exec env");
        if (exact)
        {
            text.Append(" -i");
        }
        // "--" ends env's options before the assignments, so a value or a program that looks like an option is not read as one
        // (after the first NAME=VALUE, env takes every word as an assignment or the program, never as "--").
        text.Append(" --");
        foreach (var (name, value) in environment)
        {
            if (!IsName(name))
            {
                throw new ArgumentException($"'{SandboxText.Clean(name, 80)}' is not a valid environment variable name.", nameof(environment));
            }
            text.Append(' ').Append(Quote($"{name}={value}"));
        }
        if (command[0].Contains('='))
        {
            throw new ArgumentException("A program name cannot contain '=' (env would take it for a variable).", nameof(command));
        }
        foreach (var word in command)
        {
            text.Append(' ').Append(Quote(word));
        }
        return text.ToString();
    }

    private static bool IsName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
