using System.Text.Json;
using LivePreview.Hosting;
using LivePreview.Snapshots;
using Microsoft.Extensions.Options;

namespace LivePreview.Agents;

/// <summary>
/// A recorded agent turn, stored as <c>{ReplayDirectory}/{framework}/*.json</c>:
/// <code>
/// { "prompt": "add a navbar", "match": "contains", "summary": "Added a navbar.",
///   "steps": [ { "text": "Adding a navbar." }, { "delay_ms": 300 },
///              { "tool": "write_file", "arguments": { "path": "src/Navbar.tsx", "content": "…" } } ] }
/// </code>
/// </summary>
/// <param name="Match">"contains" (the default: the prompt contains <paramref name="Prompt"/>, ignoring case) or "exact".</param>
internal sealed record ReplayTranscript(string Prompt, string? Match, string? Summary, IReadOnlyList<ReplayStep> Steps)
{
    public bool IsExact => string.Equals(Match, "exact", StringComparison.OrdinalIgnoreCase);
}

/// <summary>One step: some text, a pause, or a tool call with its arguments.</summary>
internal sealed record ReplayStep(string? Text, string? Tool, JsonElement? Arguments, int? DelayMs);

/// <summary>Finds the recording that answers a prompt.</summary>
internal sealed class ReplayTranscripts(IOptionsMonitor<AgentOptions> options, IOptions<LivePreviewOptions> livePreview, ILogger<ReplayTranscripts> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>The folder of recordings, or null with the reason when there is none.</summary>
    public (string? Directory, string? Problem) Locate()
    {
        var configured = options.CurrentValue.ReplayDirectory;
        try
        {
            var directory = string.IsNullOrWhiteSpace(configured)
                ? Path.GetFullPath(Path.Combine(TemplateLocator.Find(livePreview.Value.TemplatesDirectory), "..", "replays"))
                : Path.GetFullPath(configured);
            return Directory.Exists(directory)
                ? (directory, null)
                : (null, $"The replay folder '{directory}' does not exist; set LivePreview__Agents__ReplayDirectory to a folder of recorded transcripts.");
        }
        catch (SnapshotException e)
        {
            return (null, $"{e.Message} Or set LivePreview__Agents__ReplayDirectory to a folder of recorded transcripts.");
        }
    }

    /// <summary>The exact match if there is one, else the first (by file name) whose prompt the given one contains.</summary>
    public ReplayTranscript? Find(string directory, string framework, string prompt)
    {
        var all = Load(directory, framework);
        var trimmed = prompt.Trim();
        return all.FirstOrDefault(t => t.IsExact && string.Equals(t.Prompt.Trim(), trimmed, StringComparison.Ordinal))
            ?? all.FirstOrDefault(t => !t.IsExact && trimmed.Contains(t.Prompt.Trim(), StringComparison.OrdinalIgnoreCase));
    }

    public IReadOnlyList<ReplayTranscript> Load(string directory, string framework)
    {
        // The framework comes from a session; it names a folder, so it must not climb out of the replay folder.
        var folder = Path.Combine(directory, framework);
        if (framework.Contains('/') || framework.Contains('\\') || framework.StartsWith('.') || !Directory.Exists(folder))
        {
            return [];
        }
        return Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal).Select(Read).OfType<ReplayTranscript>().ToList();
    }

    private ReplayTranscript? Read(string file)
    {
        try
        {
            var transcript = JsonSerializer.Deserialize<ReplayTranscript>(File.ReadAllText(file), Json);
            return transcript is { Prompt.Length: > 0, Steps: not null } ? transcript : throw new JsonException("A transcript needs a prompt and steps.");
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            AgentLog.TranscriptUnreadable(logger, file, e);
            return null;
        }
    }
}
