using System.Text.Json;
using LivePreview.Events;

namespace LivePreview.Ui.Sandbox;

/// <summary>Which group of the Activity view an event belongs to (its filter chips).</summary>
public enum ActivityKind { Lifecycle, Files, Output, Agent }

/// <summary>One line of a sandbox's Activity view: an event said in words.</summary>
/// <param name="Body">Prose to show in full under the title (what the agent said).</param>
public sealed partial record ActivityItem(
    long Sequence, string Type, DateTimeOffset Timestamp, ActivityKind Kind, string Tone, string Title, string? Detail, IReadOnlyList<string> Lines,
    string? Body = null)
{
    public static ActivityItem From(LivePreviewEvent e)
    {
        var p = e.Payload;
        return e.Type switch
        {
            EventTypes.SandboxCreating => Lifecycle(e, "progress", "Creating the sandbox", Shared.Display.FrameworkName(Text(p, "framework") ?? "")),
            EventTypes.SandboxCreated => Lifecycle(e, "success", Resumed(p) ? "Sandbox started" : "Sandbox ready", null),
            EventTypes.SandboxStopped => Lifecycle(e, "muted", "Sandbox stopped", null),
            EventTypes.SandboxDeleted => Lifecycle(e, "muted", "Sandbox deleted", null),
            EventTypes.SandboxFailed => Lifecycle(e, "danger", "Sandbox failed", Text(p, "error")),
            EventTypes.PreviewPending => Lifecycle(e, "progress", $"Preview of port {Port(p)} requested", null),
            EventTypes.PreviewStarting => Lifecycle(e, "progress", "Dev server starting", Text(p, "note")),
            EventTypes.PreviewReady => Lifecycle(e, "success", "Preview ready", Text(p, "preview_url")),
            EventTypes.PreviewFailed => Lifecycle(e, "danger", "Preview failed", FirstLine(Text(p, "error"))),
            EventTypes.PreviewStopped => Lifecycle(e, "muted", "Preview stopped", null),
            EventTypes.PreviewUpdated => Updated(e, p),
            EventTypes.DevServerCrashed => Lifecycle(e, "danger", "Dev server crashed", Text(p, "reason")),
            EventTypes.PortOpened => Lifecycle(e, Reachable(p) ? "info" : "muted", $"Port {Port(p)} opened", Text(p, "hint") ?? Text(p, "address")),
            EventTypes.PortClosed => Lifecycle(e, "muted", $"Port {Port(p)} closed", null),
            EventTypes.PortRefused => Lifecycle(e, "danger", $"Port {Port(p)} not previewed", Text(p, "reason")),
            EventTypes.DevServerLog => new(e.Sequence, e.Type, e.Timestamp, ActivityKind.Output, "muted", "Dev server output", null, LogLines(p)),
            EventTypes.RepositoryCloned => Lifecycle(e, "info", "Repository cloned", Dotted(Text(Details(p), "url"), Short(Text(Details(p), "commit")))),
            EventTypes.AppDetected => Lifecycle(e, "info", "App detected", Profile(Details(p))),
            EventTypes.DependenciesInstalling => Lifecycle(e, "progress", Flag(Details(p), "reused") ? "Dependencies: reusing a layer" : "Installing dependencies",
                Text(Details(p), "command") ?? Text(Details(p), "layer")),
            EventTypes.DependenciesProgress => new(e.Sequence, e.Type, e.Timestamp, ActivityKind.Output, "muted", "Install output", null,
                Text(Details(p), "line") is { } line ? [Shared.Display.PlainText(line)] : []),
            EventTypes.DependenciesReady => Lifecycle(e, "success", Flag(Details(p), "reused") ? "Dependencies ready (layer reused)" : "Dependencies installed",
                Seconds(Number(Details(p), "install_ms"))),
            EventTypes.FileChanged => File(e, $"Edited {Text(p, "path")}", p),
            EventTypes.FileDeleted => File(e, $"Deleted {Text(p, "path")}", p),
            // A task's steps are on its sandbox too: worded as on the task's page.
            _ when Tasks.TaskDisplay.Step(e) is { } step => Lifecycle(e, Tasks.TaskDisplay.ToneName(step.Tone), "Task: " + step.Label, step.Detail),
            _ => Agent(e) ?? Lifecycle(e, "muted", e.Type, Text(p, "message")),
        };
    }

    private static ActivityItem Lifecycle(LivePreviewEvent e, string tone, string title, string? detail) =>
        new(e.Sequence, e.Type, e.Timestamp, ActivityKind.Lifecycle, tone, title, detail, []);

    /// <summary>
    /// "Preview updated in N ms": the edit on disk → the browser's report of the painted update (the server's clock);
    /// the detail names the edit and the browser's own span (update received → painted). Figures from a hostile page are
    /// bounded numbers only (the endpoint's checks); they are shown, never trusted for more.
    /// </summary>
    private static ActivityItem Updated(LivePreviewEvent e, JsonElement? p)
    {
        var reload = Text(p, "kind") == "reload";
        var total = Milliseconds(p, "edit_to_report_ms");
        var title = (reload ? "Preview reloaded" : "Preview updated") + (total is null ? "" : $" in {total}");
        var edit = p is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty("edit", out var d) ? Text(d, "path") : null;
        var painted = Milliseconds(p, "received_to_painted_ms") is { } ms ? $"painted {ms} after the update arrived" : null;
        return Lifecycle(e, "success", title, Dotted(edit, painted));
    }

    private static string? Milliseconds(JsonElement? payload, string name) =>
        payload is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number
            && v.TryGetDouble(out var ms) && double.IsFinite(ms) && ms >= 0
            ? ms.ToString("0", System.Globalization.CultureInfo.InvariantCulture) + " ms"
            : null;

    private static ActivityItem File(LivePreviewEvent e, string title, JsonElement? p) =>
        new(e.Sequence, e.Type, e.Timestamp, ActivityKind.Files, "info", title, Text(p, "source") is { } source ? $"by {source}" : null, []);

    private static string? Text(JsonElement? payload, string name) =>
        payload is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string? Short(string? commit) => commit is { Length: > 7 } ? commit[..7] : commit;

    /// <summary>The parts there are, with " · " between them; null when there is none.</summary>
    private static string? Dotted(params string?[] parts) => parts.Any(x => x is not null) ? string.Join(" · ", parts.Where(x => x is not null)) : null;

    private static string? Profile(JsonElement? details) =>
        details is { ValueKind: JsonValueKind.Object } d && d.TryGetProperty("profile", out var profile) && profile.ValueKind == JsonValueKind.Object
            ? Dotted(Text(profile, "framework"), Text(profile, "package_manager"), Number(profile, "port") is { } port ? $"port {port}" : null)
            : null;

    private static string? Seconds(string? milliseconds) =>
        long.TryParse(milliseconds, System.Globalization.CultureInfo.InvariantCulture, out var ms) && ms > 0
            ? (ms / 1000.0).ToString("0.0 s", System.Globalization.CultureInfo.InvariantCulture)
            : null;

    private static string Port(JsonElement? payload) =>
        payload is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty("port", out var v) ? v.ToString() : "?";

    private static bool Reachable(JsonElement? payload) =>
        payload is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty("reachable", out var r) && r.ValueKind == JsonValueKind.True;

    private static bool Resumed(JsonElement? payload) =>
        payload is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty("details", out var d)
        && d.ValueKind == JsonValueKind.Object && d.TryGetProperty("resumed", out var r) && r.ValueKind == JsonValueKind.True;

    private static IReadOnlyList<string> LogLines(JsonElement? payload) =>
        payload is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty("lines", out var lines) && lines.ValueKind == JsonValueKind.Array
            ? TrimBlank(lines.EnumerateArray().Select(l => Shared.Display.PlainText(l.GetString() ?? "")).ToList())
            : [];

    /// <summary>Dev servers frame their banners with blank lines; inside a feed they are only gaps.</summary>
    private static List<string> TrimBlank(List<string> lines) =>
        lines.SkipWhile(string.IsNullOrWhiteSpace).Reverse().SkipWhile(string.IsNullOrWhiteSpace).Reverse().ToList();

    private static string? FirstLine(string? text) => text?.Split('\n', 2)[0];
}
