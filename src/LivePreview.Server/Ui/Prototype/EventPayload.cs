using System.Text.Json;

namespace LivePreview.Ui.Prototype;

/// <summary>
/// Reading the payloads of prototype events. The turn runner nests what the agent did under
/// <c>details</c> (<c>{ turn_id, details: { tool, path, … } }</c>); the session's own events put their
/// fields at the top. A field that is missing or of another kind reads as null: a page shows what it can.
/// </summary>
internal static class EventPayload
{
    public static JsonElement? Details(JsonElement? payload) =>
        payload is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty("details", out var d) && d.ValueKind == JsonValueKind.Object ? d : null;

    public static string? Text(JsonElement? payload, string name) =>
        payload is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static int Int(JsonElement? payload, string name) =>
        payload is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var v) && v.TryGetInt32(out var i) ? i : 0;

    public static bool? Bool(JsonElement? payload, string name) =>
        payload is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? v.GetBoolean() : null;

    public static IReadOnlyList<string> Strings(JsonElement? payload, string name) =>
        payload is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Where(s => s.ValueKind == JsonValueKind.String).Select(s => s.GetString()!).ToList()
            : [];

    /// <summary>The "path" argument of a tool call, from its arguments JSON (AGENT_TOOL_CALLED carries no path of its own).</summary>
    public static string? PathArgument(string? argumentsJson)
    {
        if (string.IsNullOrEmpty(argumentsJson))
        {
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(argumentsJson);
            return Text(doc.RootElement, "path");
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
