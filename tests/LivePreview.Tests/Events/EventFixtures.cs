using System.Text.Json;
using LivePreview.Events;
using LivePreview.Sandboxes;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Events;

internal static class EventFixtures
{
    /// <summary>The real service without a warm pool: these tests need no sandboxes, and two shared cores cannot spare them.</summary>
    public static Task<LivePreviewHost> StartHostAsync(Dictionary<string, string?>? settings = null) =>
        LivePreviewHost.StartAsync(new Dictionary<string, string?>(settings ?? []) { ["LivePreview:WarmPool:Size"] = "0" });

    public static string NewSandboxId() => SandboxId.New();

    public static EventDraft FileChanged(string sandboxId, int index, string? padding = null) =>
        new(EventTypes.FileChanged, EntityTypes.File, $"src/file{index}.ts", sandboxId, new { index, padding });

    public static long Sequence(this JsonElement e) => e.GetProperty("sequence").GetInt64();

    public static string? SandboxIdOf(this JsonElement e) => e.GetProperty("sandbox_id").GetString();
}
