using System.Text.Json;
using LivePreview.Frameworks;

namespace LivePreview.Prototypes;

/// <summary>Picks the framework of an imported project from its package.json (the seed's open question 1: detect, allow an override).</summary>
public static class FrameworkDetector
{
    public static FrameworkDefinition? Detect(string packageJson)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(packageJson);
        }
        catch (JsonException)
        {
            return null;
        }
        using (doc)
        {
            var deps = Dependencies(doc.RootElement);
            if (deps.Contains("next"))
            {
                return FrameworkCatalog.Next;
            }
            if (deps.Contains("vue") && deps.Contains("vite"))
            {
                return FrameworkCatalog.VueVite;
            }
            return deps.Contains("react") && deps.Contains("vite") ? FrameworkCatalog.ReactVite : null;
        }
    }

    private static HashSet<string> Dependencies(JsonElement root)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (root.ValueKind != JsonValueKind.Object)
        {
            return names;
        }
        foreach (var section in new[] { "dependencies", "devDependencies" })
        {
            if (root.TryGetProperty(section, out var deps) && deps.ValueKind == JsonValueKind.Object)
            {
                names.UnionWith(deps.EnumerateObject().Select(p => p.Name));
            }
        }
        return names;
    }
}
