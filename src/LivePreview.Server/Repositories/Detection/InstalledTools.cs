using System.Text.Json;
using LivePreview.Sandboxes;
using LivePreview.Workspaces;

namespace LivePreview.Repositories.Detection;

/// <summary>A dev tool found installed: its exact version and its bin script, relative to the app's folder.</summary>
/// <param name="Bin">Path of the bin script relative to the app folder (<c>../../node_modules/vite/bin/vite.js</c> when hoisted).</param>
internal sealed record InstalledTool(string Package, string Version, string Bin);

/// <summary>
/// Finds an installed package the way Node resolves it: <c>&lt;dir&gt;/node_modules/&lt;pkg&gt;</c> from the app's folder up
/// to the workspace root. Over a tree that refuses links (<see cref="DirectoryTree"/>) a pnpm install's
/// <c>node_modules/&lt;pkg&gt;</c> link is absent, so pnpm's virtual store at the root is looked into as well
/// (<c>node_modules/.pnpm/&lt;pkg&gt;@&lt;version&gt;…/node_modules/&lt;pkg&gt;</c>, the highest version): real folders, no link followed.
/// </summary>
internal static class InstalledTools
{
    public static async Task<InstalledTool?> FindAsync(IRepositoryTree tree, string appDirectory, string package, string[] binNames, CancellationToken cancellationToken)
    {
        var segments = appDirectory.Length == 0 ? [] : appDirectory.Split('/');
        for (var depth = segments.Length; depth >= 0; depth--)
        {
            var directory = string.Join('/', segments[..depth]);
            var found = await ReadAsync(tree, PackageJson.Join(directory, $"node_modules/{package}"), package, binNames, cancellationToken);
            if (found is not null)
            {
                return found with { Bin = Relative(segments.Length - depth, directory, found.Bin) };
            }
        }
        foreach (var entry in (await VirtualStoreEntriesAsync(tree, package, cancellationToken)).OrderByDescending(e => e.Version, VersionOrder.Instance))
        {
            var found = await ReadAsync(tree, $"node_modules/.pnpm/{entry.Name}/node_modules/{package}", package, binNames, cancellationToken);
            if (found is not null)
            {
                return found with { Bin = Relative(segments.Length, "", found.Bin) };
            }
        }
        return null;
    }

    /// <summary>The package in <paramref name="packageDirectory"/>, with its bin as a workspace-relative path; null when absent or unusable.</summary>
    private static async Task<InstalledTool?> ReadAsync(IRepositoryTree tree, string packageDirectory, string package, string[] binNames, CancellationToken cancellationToken)
    {
        string? text;
        try
        {
            text = await tree.ReadTextAsync($"{packageDirectory}/package.json", PackageJson.MaxBytes, cancellationToken);
        }
        catch (InvalidDataException)
        {
            return null;
        }
        if (text is null || Parse(text, binNames) is not { } parsed)
        {
            return null;
        }
        var (version, bin) = parsed;
        string path;
        try
        {
            path = $"{packageDirectory}/{WorkspacePath.NormalizeFile(bin)}";
        }
        catch (InvalidWorkspacePathException)
        {
            return null; // a bin that leaves its package is not one to run
        }
        return await tree.FileExistsAsync(path, cancellationToken) ? new InstalledTool(package, version, path) : null;
    }

    private static (string Version, string Bin)? Parse(string text, string[] binNames)
    {
        try
        {
            using var document = JsonDocument.Parse(text.TrimStart('\uFEFF'), new JsonDocumentOptions { MaxDepth = 32 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("bin", out var bin))
            {
                return null;
            }
            var path = bin.ValueKind switch
            {
                JsonValueKind.String => bin.GetString(),
                JsonValueKind.Object => binNames.Select(n => bin.TryGetProperty(n, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null)
                    .FirstOrDefault(p => p is not null),
                _ => null,
            };
            return path is null ? null : (version.GetString()!, path);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task<IEnumerable<(string Name, string Version)>> VirtualStoreEntriesAsync(IRepositoryTree tree, string package, CancellationToken cancellationToken)
    {
        var prefix = package.Replace('/', '+') + "@";
        var entries = await tree.ListDirectoriesAsync("node_modules/.pnpm", cancellationToken);
        return entries.Where(e => e.StartsWith(prefix, StringComparison.Ordinal))
            .Select(e => (e, e[prefix.Length..].Split('_', '(')[0]));
    }

    /// <summary>A workspace-relative <paramref name="path"/> under <paramref name="directory"/> as seen from <paramref name="levels"/> folders below it.</summary>
    private static string Relative(int levels, string directory, string path) =>
        string.Concat(Enumerable.Repeat("../", levels)) + (directory.Length == 0 ? path : path[(directory.Length + 1)..]);

    /// <summary>Orders <c>5.4.11</c> above <c>5.4.2</c>; a pre-release below its release.</summary>
    private sealed class VersionOrder : IComparer<string>
    {
        public static readonly VersionOrder Instance = new();

        public int Compare(string? x, string? y)
        {
            var (a, b) = (Split(x), Split(y));
            for (var i = 0; i < 3; i++)
            {
                var order = a.Numbers[i].CompareTo(b.Numbers[i]);
                if (order != 0)
                {
                    return order;
                }
            }
            return (a.Release, b.Release) switch { (true, false) => 1, (false, true) => -1, _ => string.CompareOrdinal(x, y) };
        }

        private static (long[] Numbers, bool Release) Split(string? version)
        {
            var core = (version ?? "").Split('-', 2);
            var numbers = core[0].Split('.').Select(p => long.TryParse(p, out var n) ? n : 0).Concat([0L, 0L, 0L]).Take(3).ToArray();
            return (numbers, core.Length == 1);
        }
    }
}
