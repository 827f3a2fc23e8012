using System.Text.Json;
using System.Text.Json.Nodes;

namespace LivePreview.Agents.Cli;

/// <summary>Reading what a CLI agent prints: its JSON is hostile text, looked at and never acted on beyond these helpers.</summary>
internal static class CliJson
{
    public static string? Str(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static JsonElement Obj(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : default;

    public static long? Long(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.TryGetInt64(out var number) ? number : null;

    /// <summary>The arguments as JSON with strings longer than <paramref name="max"/> cut, so events stay small.</summary>
    public static string Shorten(JsonElement input, int max)
    {
        if (input.ValueKind != JsonValueKind.Object)
        {
            return "{}";
        }
        JsonNode? Cut(JsonNode? node) => node switch
        {
            JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, Cut(p.Value)))),
            JsonArray a => new JsonArray([.. a.Select(Cut)]),
            JsonValue v when v.TryGetValue<string>(out var s) && s.Length > max => JsonValue.Create(s[..max] + "…"),
            _ => node?.DeepClone(),
        };
        return Cut(JsonNode.Parse(input.GetRawText()))?.ToJsonString() ?? "{}";
    }

    /// <summary>
    /// The workspace-relative path of an absolute or relative path the agent named, or null when it is outside
    /// the workspace. String arithmetic only: nothing on the host is looked up or followed.
    /// </summary>
    public static string? WorkspacePath(string workingDirectory, string? path)
    {
        if (string.IsNullOrWhiteSpace(path) || path.Contains('\0'))
        {
            return null;
        }
        var root = Path.TrimEndingDirectorySeparator(workingDirectory);
        var relative = Path.GetRelativePath(root, Path.GetFullPath(path, root));
        return relative == "." || relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? null : relative.Replace('\\', '/');
    }

    public static string OneLine(string? text)
    {
        var line = (text ?? "").Split('\n', 2)[0].Trim();
        return line.Length > 200 ? line[..200] + "…" : line;
    }
}
