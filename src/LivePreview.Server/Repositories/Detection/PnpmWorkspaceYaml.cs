namespace LivePreview.Repositories.Detection;

/// <summary>
/// The <c>packages:</c> list of a pnpm-workspace.yaml, read as the tiny YAML subset pnpm writes there: a block list of
/// plain or quoted strings (or a flow list <c>[a, 'b']</c>), with comments. Any other key is skipped; nothing else of
/// YAML is understood, so nothing else can be abused.
/// </summary>
internal static class PnpmWorkspaceYaml
{
    public const int MaxBytes = 64 * 1024;

    public static async Task<IReadOnlyList<string>?> ReadAsync(IRepositoryTree tree, CancellationToken cancellationToken)
    {
        try
        {
            return await tree.ReadTextAsync("pnpm-workspace.yaml", MaxBytes, cancellationToken) is { } text ? Packages(text) : null;
        }
        catch (InvalidDataException)
        {
            throw new AppDetectionException("pnpm-workspace.yaml is not UTF-8 text; save it as UTF-8.");
        }
    }

    /// <summary>The list under the top-level <c>packages:</c> key, null when there is no such key.</summary>
    public static IReadOnlyList<string>? Packages(string text)
    {
        List<string>? packages = null;
        var inPackages = false;
        foreach (var rawLine in text.Split('\n'))
        {
            var line = StripComment(rawLine.TrimEnd('\r'));
            if (line.Trim().Length == 0)
            {
                continue;
            }
            if (!char.IsWhiteSpace(line[0]) && !line.StartsWith('-'))
            {
                inPackages = line.StartsWith("packages:", StringComparison.Ordinal);
                if (inPackages)
                {
                    packages ??= [];
                    var rest = line["packages:".Length..].Trim();
                    if (rest.StartsWith('[') && rest.EndsWith(']'))
                    {
                        packages.AddRange(rest[1..^1].Split(',').Select(Unquote).Where(s => s.Length > 0));
                        inPackages = false;
                    }
                }
                continue;
            }
            var item = line.Trim();
            if (inPackages && item.StartsWith('-'))
            {
                packages!.Add(Unquote(item[1..]));
            }
        }
        return packages;
    }

    /// <summary>A <c>#</c> starts a comment at the line's start or after a space, outside quotes.</summary>
    private static string StripComment(string line)
    {
        char? quote = null;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote is null && (c == '\'' || c == '"'))
            {
                quote = c;
            }
            else if (c == quote)
            {
                quote = null;
            }
            else if (quote is null && c == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1])))
            {
                return line[..i];
            }
        }
        return line;
    }

    private static string Unquote(string value)
    {
        var trimmed = value.Trim();
        return trimmed.Length >= 2 && (trimmed[0] == '\'' || trimmed[0] == '"') && trimmed[^1] == trimmed[0] ? trimmed[1..^1] : trimmed;
    }
}
