using LivePreview.Sandboxes;
using LivePreview.Workspaces;

namespace LivePreview.Repositories.Detection;

/// <summary>The workspace packages of a monorepo: patterns from package.json or pnpm-workspace.yaml, expanded over the tree.</summary>
internal sealed record WorkspacePackages(IReadOnlyList<string> Directories, string Source, IReadOnlyList<string> Ignored);

/// <summary>
/// Expands workspace globs (<c>apps/*</c>, <c>packages/**</c>, <c>tools/cli</c>) with <see cref="IRepositoryTree.ListDirectoriesAsync"/>:
/// a pattern that is absolute, starts with <c>~</c> or holds <c>..</c> is ignored; hidden folders and node_modules are never
/// entered; the walk is bounded in depth, folders listed and packages found. <c>!pattern</c> excludes what it matches.
/// </summary>
internal static class WorkspaceGlobs
{
    public const int MaxDepth = 6, MaxListings = 2000, MaxPackages = 500;

    public static async Task<WorkspacePackages?> FindAsync(IRepositoryTree tree, PackageJson root, CancellationToken cancellationToken)
    {
        var (patterns, source) = root.Workspaces is { } fromPackage
            ? (fromPackage, "the workspaces of package.json")
            : (await PnpmWorkspaceYaml.ReadAsync(tree, cancellationToken), "pnpm-workspace.yaml");
        if (patterns is null)
        {
            return null;
        }
        var include = new List<string[]>();
        var exclude = new List<string[]>();
        var ignored = new List<string>();
        foreach (var raw in patterns)
        {
            var negated = raw.StartsWith('!');
            if (Segments(negated ? raw[1..] : raw) is { } segments)
            {
                (negated ? exclude : include).Add(segments);
            }
            else
            {
                ignored.Add(raw);
            }
        }
        var walk = new Walk(tree, cancellationToken);
        foreach (var pattern in include)
        {
            await walk.ExpandAsync(pattern, 0, [], 0);
        }
        var directories = walk.Found.Where(d => !exclude.Any(e => Matches(e, d.Split('/')))).Order(StringComparer.Ordinal).ToList();
        return new WorkspacePackages(directories, source, ignored);
    }

    /// <summary>The pattern's segments, null when it may leave the repository or names nothing.</summary>
    public static string[]? Segments(string pattern)
    {
        var trimmed = pattern.Trim();
        if (trimmed.Length == 0 || trimmed.StartsWith('~'))
        {
            return null;
        }
        try
        {
            var normalized = WorkspacePath.Normalize(trimmed.TrimEnd('/'));
            return normalized.Length == 0 ? null : normalized.Split('/');
        }
        catch (InvalidWorkspacePathException)
        {
            return null;
        }
    }

    public static bool Matches(string[] pattern, string[] path, int p = 0, int s = 0)
    {
        if (p == pattern.Length)
        {
            return s == path.Length;
        }
        if (pattern[p] == "**")
        {
            return Matches(pattern, path, p + 1, s) || (s < path.Length && Matches(pattern, path, p, s + 1));
        }
        return s < path.Length && SegmentMatches(pattern[p], path[s]) && Matches(pattern, path, p + 1, s + 1);
    }

    /// <summary><c>*</c> is any run of characters within one folder name; everything else is literal.</summary>
    public static bool SegmentMatches(string pattern, string name)
    {
        var parts = pattern.Split('*');
        if (parts.Length == 1)
        {
            return pattern == name;
        }
        if (!name.StartsWith(parts[0], StringComparison.Ordinal) || !name.EndsWith(parts[^1], StringComparison.Ordinal) || name.Length < parts[0].Length + parts[^1].Length)
        {
            return false;
        }
        var at = parts[0].Length;
        foreach (var middle in parts[1..^1])
        {
            var found = name.IndexOf(middle, at, name.Length - parts[^1].Length - at, StringComparison.Ordinal);
            if (found < 0)
            {
                return false;
            }
            at = found + middle.Length;
        }
        return true;
    }

    private sealed class Walk(IRepositoryTree tree, CancellationToken cancellationToken)
    {
        private int _listings;

        public HashSet<string> Found { get; } = new(StringComparer.Ordinal);

        public async Task ExpandAsync(string[] pattern, int index, List<string> path, int depth)
        {
            if (Found.Count >= MaxPackages || depth > MaxDepth)
            {
                return;
            }
            var directory = string.Join('/', path);
            if (index == pattern.Length)
            {
                if (directory.Length > 0 && await tree.FileExistsAsync($"{directory}/package.json", cancellationToken))
                {
                    Found.Add(directory);
                }
                return;
            }
            if (_listings++ >= MaxListings)
            {
                return;
            }
            var children = await tree.ListDirectoriesAsync(directory, cancellationToken);
            var segment = pattern[index];
            if (segment == "**")
            {
                await ExpandAsync(pattern, index + 1, path, depth);
            }
            foreach (var child in children.Where(c => (c == segment && !segment.Contains('*')) || (segment.Contains('*') && Enterable(c) && (segment == "**" || SegmentMatches(segment, c)))))
            {
                path.Add(child);
                await ExpandAsync(pattern, segment == "**" ? index : index + 1, path, depth + 1);
                path.RemoveAt(path.Count - 1);
            }
        }

        private static bool Enterable(string name) => !name.StartsWith('.') && name != "node_modules";
    }
}
