using System.Text.Json;

namespace LivePreview.Repositories.Detection;

/// <summary>The few fields of a package.json that detection reads; everything else is ignored, nothing is evaluated.</summary>
/// <param name="Directory">Workspace-relative folder of the package ("" for the root).</param>
/// <param name="Dependencies">dependencies and devDependencies (name → declared range; dependencies win on a clash).</param>
/// <param name="PreviewApp">The root package's <c>"preview": { "app": "apps/web" }</c> hint, as written.</param>
internal sealed record PackageJson(
    string Directory,
    IReadOnlyDictionary<string, string> Scripts,
    IReadOnlyDictionary<string, string> Dependencies,
    string? PackageManager,
    IReadOnlyList<string>? Workspaces,
    string? PreviewApp)
{
    public const int MaxBytes = 1024 * 1024;
    private const int MaxDepth = 32;

    public string Path => Join(Directory, "package.json");

    /// <summary>The package.json of <paramref name="directory"/>, null when there is none (or it is a link).</summary>
    /// <exception cref="AppDetectionException">It is larger than 1 MiB, not UTF-8 or not a JSON object.</exception>
    public static async Task<PackageJson?> ReadAsync(IRepositoryTree tree, string directory, CancellationToken cancellationToken)
    {
        var path = Join(directory, "package.json");
        string? text;
        try
        {
            text = await tree.ReadTextAsync(path, MaxBytes, cancellationToken);
        }
        catch (InvalidDataException)
        {
            throw new AppDetectionException($"{path} is not UTF-8 text; save it as UTF-8.");
        }
        if (text is null)
        {
            return await tree.FileExistsAsync(path, cancellationToken)
                ? throw new AppDetectionException($"{path} is larger than 1 MiB; LivePreview reads package.json files up to that size.")
                : null;
        }
        return Parse(directory, path, text);
    }

    public static PackageJson Parse(string directory, string path, string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text.TrimStart('\uFEFF'), new JsonDocumentOptions { MaxDepth = MaxDepth });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new AppDetectionException($"{path} is not a JSON object.");
            }
            var dependencies = new Dictionary<string, string>(Strings(root, "devDependencies"), StringComparer.Ordinal);
            foreach (var (name, range) in Strings(root, "dependencies"))
            {
                dependencies[name] = range;
            }
            return new PackageJson(directory, Strings(root, "scripts"), dependencies, String(root, "packageManager"),
                WorkspacePatterns(root), Property(root, "preview") is { } preview ? String(preview, "app") : null);
        }
        catch (JsonException error)
        {
            throw new AppDetectionException($"{path} is not valid JSON ({error.Message}); fix it so npm can read it.");
        }
    }

    public static string Join(string directory, string name) => directory.Length == 0 ? name : $"{directory}/{name}";

    /// <summary><c>workspaces</c> as an array, or Yarn's <c>{ "packages": [...] }</c>; null when absent.</summary>
    private static List<string>? WorkspacePatterns(JsonElement root)
    {
        var workspaces = Property(root, "workspaces");
        if (workspaces is { ValueKind: JsonValueKind.Object } yarn)
        {
            workspaces = Property(yarn, "packages");
        }
        return workspaces is { ValueKind: JsonValueKind.Array } list
            ? list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList()
            : null;
    }

    private static Dictionary<string, string> Strings(JsonElement root, string name)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Property(root, name) is { ValueKind: JsonValueKind.Object } section)
        {
            foreach (var property in section.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String))
            {
                values[property.Name] = property.Value.GetString()!;
            }
        }
        return values;
    }

    private static string? String(JsonElement element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    private static JsonElement? Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : null;
}
