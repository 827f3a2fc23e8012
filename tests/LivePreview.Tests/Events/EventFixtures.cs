using System.Text.Json;
using LivePreview.Events;
using LivePreview.Sandboxes;

namespace LivePreview.Tests.Events;

internal static class EventFixtures
{
    public static string NewSandboxId() => SandboxId.New();

    public static EventDraft FileChanged(string sandboxId, int index, string? padding = null) =>
        new(EventTypes.FileChanged, EntityTypes.File, $"src/file{index}.ts", sandboxId, new { index, padding });

    public static long Sequence(this JsonElement e) => e.GetProperty("sequence").GetInt64();

    public static string? SandboxIdOf(this JsonElement e) => e.GetProperty("sandbox_id").GetString();
}
