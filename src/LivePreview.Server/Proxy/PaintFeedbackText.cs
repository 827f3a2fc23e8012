using System.Globalization;
using System.Text;
using System.Text.Json;
using LivePreview.Events;
using LivePreview.Sandboxes;

namespace LivePreview.Proxy;

/// <summary>The events after one edit that speak of it: the update that painted it (the first) and the page's errors (distinct, bounded).</summary>
internal sealed class PaintSeen(long editSequence)
{
    private const int MaxErrors = 5;
    private readonly HashSet<string> _texts = new(StringComparer.Ordinal);

    public LivePreviewEvent? Update { get; private set; }

    public List<(string Label, string Text)> Errors { get; } = [];

    public bool IsEmpty => Update is null && Errors.Count == 0;

    /// <summary>False for an event that says nothing new about the edit: before it, an earlier edit's update, a repeated error.</summary>
    public bool Add(LivePreviewEvent e)
    {
        if (e.Sequence <= editSequence)
        {
            return false;
        }
        if (e.Type == EventTypes.PreviewUpdated)
        {
            // An update that covers an earlier edit was painted before this one reached the page.
            if (Update is not null || PaintFeedbackText.Number(e.Payload, "edit", "sequence") < editSequence)
            {
                return false;
            }
            Update = e;
            return true;
        }
        var error = PaintFeedbackText.ErrorOf(e);
        if (Errors.Count >= MaxErrors || !_texts.Add(error.Text))
        {
            return false;
        }
        Errors.Add(error);
        return true;
    }
}

/// <summary>How the agent is told what the browser saw: a line for the update, the page's errors quoted as data.</summary>
internal static class PaintFeedbackText
{
    private const int MaxErrorChars = 800;
    private const int StackLines = 6;

    public const string NoBrowser = "Preview: no browser has the preview open; nothing was painted, so how this edit looks and whether the page throws is unknown.";

    public static string Describe(PaintSeen seen, int browsers, TimeSpan waited)
    {
        var text = new StringBuilder();
        if (seen.Update is { } update)
        {
            text.Append(Updated(update));
        }
        if (seen.Errors.Count > 0)
        {
            text.Append(text.Length > 0 ? "\n" : "").Append(CultureInfo.InvariantCulture,
                $"Preview: the page reported {seen.Errors.Count} error{(seen.Errors.Count == 1 ? "" : "s")} after this edit; fix {(seen.Errors.Count == 1 ? "it" : "them")}:");
            foreach (var (label, error) in seen.Errors)
            {
                text.Append("\n- ").Append(SandboxText.Quote(label, error, MaxErrorChars));
            }
        }
        return text.Length > 0 ? text.ToString() : string.Create(CultureInfo.InvariantCulture,
            $"Preview: {browsers} browser{(browsers == 1 ? " has" : "s have")} the preview open, but none reported an update or an error within {waited.TotalSeconds:0.#} s (the page may not use this file, or the dev server is still compiling it).");
    }

    /// <summary>The MCP tool <c>preview_status</c>'s answer: who watches, the last update painted, the last error (quoted as data).</summary>
    public static string Status(PreviewLatest latest)
    {
        var text = new StringBuilder(latest.Browsers switch
        {
            0 => "No browser has the preview open; nothing is being painted.",
            1 => "1 browser has the preview open.",
            var n => string.Create(CultureInfo.InvariantCulture, $"{n} browsers have the preview open."),
        });
        text.Append('\n').Append(latest.Update is { } update
            ? string.Create(CultureInfo.InvariantCulture, $"Last update ({update.Timestamp:u}{EditOf(update)}): {Updated(update)}")
            : "No update has been painted yet.");
        if (latest.Error is { } error)
        {
            var (label, body) = ErrorOf(error);
            var when = latest.Update is { } u && u.Sequence > error.Sequence ? ", before the last update" : "";
            text.Append('\n').Append(CultureInfo.InvariantCulture, $"Last error ({error.Timestamp:u}{when}): ").Append(SandboxText.Quote(label, body, MaxErrorChars));
        }
        else
        {
            text.Append("\nNo error reported.");
        }
        return text.ToString();
    }

    private static string EditOf(LivePreviewEvent update) =>
        update.Payload is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty("edit", out var edit) && Text(edit, "path") is { } path
            ? $", edit of {SandboxText.Clean(path, 300)}"
            : "";

    /// <summary>"Preview updated in N ms": the edit on disk to the report of its paint (server clock), else the browser's own span.</summary>
    public static string Updated(LivePreviewEvent update)
    {
        var reload = Text(update.Payload, "kind") == "reload" ? " by a full page reload" : "";
        return Number(update.Payload, "edit_to_report_ms") is { } ms
            ? string.Create(CultureInfo.InvariantCulture, $"Preview updated in {ms:0} ms{reload} (from the edit on disk to painted in the browser).")
            : string.Create(CultureInfo.InvariantCulture,
                $"Preview updated{reload}: painted {Number(update.Payload, "received_to_painted_ms") ?? 0:0} ms after the update reached the page.");
    }

    /// <summary>A label and the sandbox's own text of an error event (cleaned and quoted later).</summary>
    public static (string Label, string Text) ErrorOf(LivePreviewEvent e) => e.Type switch
    {
        EventTypes.PreviewClientReport => ($"Page {Text(e.Payload, "kind") ?? "error"}",
            Join(Text(e.Payload, "message"), FirstLines(Text(e.Payload, "stack"), StackLines))),
        EventTypes.DevServerCrashed => ("Dev server crashed", Join(Text(e.Payload, "reason"), LastLines(e.Payload, "last_lines", StackLines))),
        _ => ("Preview failed", Text(e.Payload, "error") ?? "The dev server is not serving the preview."),
    };

    public static double? Number(JsonElement? payload, params string[] path)
    {
        var at = payload;
        foreach (var name in path)
        {
            at = at is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) ? v : null;
        }
        return at is { ValueKind: JsonValueKind.Number } n ? n.GetDouble() : null;
    }

    public static string? Text(JsonElement? payload, string name) =>
        payload is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string Join(string? first, string? second) =>
        string.Join('\n', new[] { first, second }.Where(s => !string.IsNullOrWhiteSpace(s)));

    private static string? FirstLines(string? text, int count) => text is null ? null : string.Join('\n', text.Split('\n').Take(count));

    private static string? LastLines(JsonElement? payload, string name, int count) =>
        payload is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? string.Join('\n', v.EnumerateArray().Where(l => l.ValueKind == JsonValueKind.String).Select(l => l.GetString()).TakeLast(count))
            : null;
}
