namespace LivePreview.Sandboxes.Local;

/// <summary>
/// Lexical check of workspace-relative paths. Callers validate already; this is the provider's own
/// line of defence, with clear errors. What a path means through symlinks is left to the kernel
/// (<see cref="WorkspaceRoot"/>).
/// </summary>
internal static class RelativePath
{
    /// <summary>The path's segments; none for the root ("", ".").</summary>
    /// <exception cref="InvalidWorkspacePathException">Absolute, containing "..", a backslash or a control character.</exception>
    public static string[] Split(string? path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.StartsWith('/'))
        {
            throw new InvalidWorkspacePathException($"'{path}' is absolute; workspace paths are relative, such as 'src/App.tsx'.");
        }
        if (path.Any(c => c == '\\' || char.IsControl(c)))
        {
            throw new InvalidWorkspacePathException("Workspace paths use forward slashes and no control characters.");
        }
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToArray();
        return segments.Contains("..")
            ? throw new InvalidWorkspacePathException($"'{path}' contains '..'; paths must stay inside the workspace.")
            : segments;
    }

    public static string Normalize(string? path) => string.Join('/', Split(path));

    /// <summary>The parent directory and the entry name of a path that is not the root.</summary>
    public static (string Parent, string Name) SplitLast(string? path)
    {
        var segments = Split(path);
        return segments.Length == 0
            ? throw new InvalidWorkspacePathException("The workspace root is not a file.")
            : (string.Join('/', segments[..^1]), segments[^1]);
    }
}
