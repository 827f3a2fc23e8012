using System.Text.Json;
using LivePreview.Events;

namespace LivePreview.Ui.Sandbox;

/// <summary>
/// What an agent session, its questions and its commands look like in a feed. Session events carry
/// <c>{ turn_id, details }</c>; questions and commands carry their fields directly.
/// </summary>
public sealed partial record ActivityItem
{
    private static ActivityItem? Agent(LivePreviewEvent e)
    {
        var d = Details(e.Payload);
        return e.Type switch
        {
            EventTypes.SessionStarted => Said(e, "progress", "Session started", Join(Text(d, "agent"), Text(d, "instruction"))),
            EventTypes.Resumed => Said(e, "progress", "Session resumed", Text(d, "instruction")),
            EventTypes.Interrupted => Said(e, "muted", "Interrupted", Text(d, "reason")),
            EventTypes.SessionCompleted => Said(e, "success", "Session completed", null, Text(d, "summary")),
            EventTypes.SessionFailed => Said(e, "danger", "Session failed", Text(d, "error")),
            EventTypes.AgentText when Text(d, "error") is { } error => Said(e, "danger", "The agent failed", error),
            EventTypes.AgentText => Said(e, "info", "Agent", null, Text(d, "text")),
            EventTypes.AgentToolCalled => Said(e, "muted", $"Calls {Text(d, "tool")}", Text(d, "path")),
            EventTypes.AgentToolCompleted => Said(e, Flag(d, "succeeded") ? "success" : "danger", Text(d, "summary") ?? $"{Text(d, "tool")} finished", null),
            EventTypes.Question => Said(e, "progress", "The agent asks", Choices(d), Text(d, "question")),
            EventTypes.Answered => Said(e, "success", "Answered", Text(d, "answer")),
            EventTypes.QuestionExpired => Said(e, "muted", "The question expired unanswered", null),
            EventTypes.CommandStarted => Said(e, "progress", "Command started", Command(d)),
            EventTypes.CommandExited => Said(e, Number(d, "exit_code") == "0" ? "success" : "danger", "Command exited",
                $"{Text(d, "status")}, exit code {Number(d, "exit_code") ?? "none"}"),
            _ => null,
        };
    }

    private static ActivityItem Said(LivePreviewEvent e, string tone, string title, string? detail, string? body = null) =>
        new(e.Sequence, e.Type, e.Timestamp, ActivityKind.Agent, tone, title, detail, [], body);

    private static JsonElement? Details(JsonElement? payload) =>
        payload is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty("details", out var d) && d.ValueKind == JsonValueKind.Object ? d : payload;

    private static string? Join(string? first, string? second) =>
        first is null ? second : second is null ? first : $"{first}: {second}";

    private static bool Flag(JsonElement? payload, string name) =>
        payload is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    private static string? Number(JsonElement? payload, string name) =>
        payload is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetRawText() : null;

    private static string? Choices(JsonElement? payload) =>
        payload is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty("choices", out var v) && v.ValueKind == JsonValueKind.Array && v.GetArrayLength() > 0
            ? "Choices: " + string.Join(" · ", v.EnumerateArray().Select(c => c.GetString()))
            : null;

    private static string? Command(JsonElement? payload) =>
        payload is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty("command", out var v) && v.ValueKind == JsonValueKind.Array
            ? string.Join(' ', v.EnumerateArray().Select(a => a.GetString()))
            : null;
}
