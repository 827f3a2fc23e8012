using System.Text.Json;
using LivePreview.Events;

namespace LivePreview.Ui.Session;

/// <summary>One FILE_CHANGED or FILE_DELETED as the Files tab lists it, with the diff the event carries.</summary>
/// <param name="Source">Who made it ("agent", "api", "code-panel").</param>
public sealed record FileEdit(
    long Sequence, string Path, bool Deleted, bool Created, string? Source, string? Diff, bool Truncated, string? Omitted, DateTimeOffset Timestamp)
{
    public static FileEdit? From(LivePreviewEvent e)
    {
        if (e.Type is not (EventTypes.FileChanged or EventTypes.FileDeleted) || e.Payload is not { ValueKind: JsonValueKind.Object } p)
        {
            return null;
        }
        return new FileEdit(e.Sequence, Text(p, "path") ?? e.EntityId ?? "?", e.Type == EventTypes.FileDeleted, Flag(p, "created"),
            Text(p, "source"), Text(p, "diff"), Flag(p, "diff_truncated"), Text(p, "diff_omitted"), e.Timestamp);
    }

    private static string? Text(JsonElement p, string name) =>
        p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool Flag(JsonElement p, string name) => p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;
}
