namespace LivePreview.Frameworks;

/// <summary>A framework a sandbox can be made from, and how its dev server is started.</summary>
public sealed record FrameworkDefinition(string Name, string DisplayName, int DefaultPort, DevServerKind Kind)
{
    /// <summary>
    /// The dev-server command line (inside the sandbox, cwd = workspace root). Host and port are
    /// given on the command line so the user's own config never needs editing (FIELD-NOTES 1–3).
    /// </summary>
    public IReadOnlyList<string> DevServerCommand(int port, string? basePath) => Kind switch
    {
        DevServerKind.Vite => basePath is null
            ? ["node", "node_modules/vite/bin/vite.js", "--host", "0.0.0.0", "--port", Port(port), "--strictPort"]
            : ["node", "node_modules/vite/bin/vite.js", "--host", "0.0.0.0", "--port", Port(port), "--strictPort", "--base", basePath],
        DevServerKind.Next => ["node", "node_modules/next/dist/bin/next", "dev", "--hostname", "0.0.0.0", "--port", Port(port)],
        _ => throw new InvalidOperationException($"Unknown dev server kind {Kind}."),
    };

    private static string Port(int port) => port.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

public enum DevServerKind { Vite, Next }

/// <summary>The frameworks LivePreview knows how to snapshot and serve.</summary>
public static class FrameworkCatalog
{
    public static readonly FrameworkDefinition ReactVite = new("react-vite", "React + Vite (TypeScript)", 5173, DevServerKind.Vite);
    public static readonly FrameworkDefinition VueVite = new("vue-vite", "Vue + Vite", 5173, DevServerKind.Vite);
    public static readonly FrameworkDefinition Next = new("next", "Next.js", 3000, DevServerKind.Next);

    public static IReadOnlyList<FrameworkDefinition> All { get; } = [ReactVite, VueVite, Next];

    public static bool TryGet(string? name, out FrameworkDefinition framework)
    {
        framework = All.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.Ordinal))!;
        return framework is not null;
    }

    public static string Names => string.Join(", ", All.Select(f => f.Name));
}
