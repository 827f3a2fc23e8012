using LivePreview.Sandboxes;

namespace LivePreview.Workspaces;

/// <summary>
/// Turns user-supplied file paths into normalized workspace-relative paths ("src/App.tsx").
/// Every file write — API, agent tool call, code panel, checkpoint restore — passes here first.
/// </summary>
public static class WorkspacePath
{
    public const int MaxLength = 1024;

    /// <summary>The normalized path; "" is the workspace root.</summary>
    /// <exception cref="InvalidWorkspacePathException">Absolute, escaping, or malformed paths.</exception>
    public static string Normalize(string? raw)
    {
        if (string.IsNullOrEmpty(raw) || raw == "." || raw == "/")
        {
            return "";
        }
        if (raw.Length > MaxLength)
        {
            throw new InvalidWorkspacePathException($"The path is {raw.Length} characters long; at most {MaxLength} are allowed.");
        }
        if (raw.StartsWith('/') || raw.StartsWith('~') || (raw.Length > 1 && raw[1] == ':'))
        {
            throw new InvalidWorkspacePathException($"'{raw}' is absolute; give a path relative to the workspace root, such as 'src/App.tsx'.");
        }
        if (raw.Any(c => c == '\\' || char.IsControl(c)))
        {
            throw new InvalidWorkspacePathException("The path contains a backslash or a control character; use forward slashes and printable characters.");
        }
        if (raw.Any(IsBidiOrInvisible))
        {
            throw new InvalidWorkspacePathException("The path contains a bidi control or an invisible character (U+200B–U+200F, U+202A–U+202E, U+2066–U+2069, U+FEFF): it would show as another name; remove it.");
        }
        // Kestrel decodes every escape in a request path except %2F; decode it here so an encoded
        // slash cannot smuggle "../" past the segment check.
        raw = raw.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        if (raw.StartsWith('/'))
        {
            throw new InvalidWorkspacePathException($"'{raw}' is absolute; give a path relative to the workspace root, such as 'src/App.tsx'.");
        }
        var segments = raw.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToArray();
        if (segments.Contains(".."))
        {
            throw new InvalidWorkspacePathException($"'{raw}' contains '..'; paths must stay inside the workspace.");
        }
        return string.Join('/', segments);
    }

    /// <summary>
    /// Characters that make a name show as another (Trojan Source: a right-to-left override turns "txt.exe" around; a
    /// zero-width space makes two names look alike). The zero-width joiner stays allowed: emoji sequences need it.
    /// </summary>
    public static bool IsBidiOrInvisible(char c) => c is (>= '\u200B' and <= '\u200F' and not '\u200D') or (>= '\u202A' and <= '\u202E')
        or (>= '\u2066' and <= '\u2069') or '\uFEFF' or '\u061C';

    /// <summary>Like <see cref="Normalize"/>, but the root itself is not a file.</summary>
    public static string NormalizeFile(string? raw)
    {
        var path = Normalize(raw);
        return path.Length == 0 ? throw new InvalidWorkspacePathException("A file path is required, such as 'src/App.tsx'.") : path;
    }
}
