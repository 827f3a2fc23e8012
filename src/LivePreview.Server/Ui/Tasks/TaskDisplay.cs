using System.Text.Json;
using LivePreview.Events;

namespace LivePreview.Ui.Tasks;

/// <summary>How the tasks pages word a repository and a task's steps.</summary>
internal static class TaskDisplay
{
    /// <summary>The remote without its scheme, credentials-free form and ".git": "github.com/octo/app".</summary>
    public static string Repository(string url)
    {
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Host.Length > 0)
        {
            var path = uri.AbsolutePath.Trim('/');
            path = path.EndsWith(".git", StringComparison.Ordinal) ? path[..^4] : path;
            return uri.IsDefaultPort ? $"{uri.Host}/{path}" : $"{uri.Host}:{uri.Port}/{path}";
        }
        // scp form (git@host:owner/repo.git)
        var at = url.IndexOf('@', StringComparison.Ordinal);
        var trimmed = at >= 0 ? url[(at + 1)..] : url;
        return trimmed.EndsWith(".git", StringComparison.Ordinal) ? trimmed[..^4] : trimmed;
    }

    /// <summary>One <c>TASK_*</c> event as a step of the timeline; null for an event that is not a task step.</summary>
    public static TaskStep? Step(LivePreviewEvent e)
    {
        string? Text(string name) =>
            e.Payload is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.String or JsonValueKind.Number
                ? v.ToString() : null;
        bool Flag(string name) =>
            e.Payload is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

        return e.Type switch
        {
            EventTypes.TaskClaimed => new(e.Sequence, e.Type, e.Timestamp, $"Attempt {Text("attempt") ?? "?"} claimed", Text("worker"), TaskStepTone.Progress),
            EventTypes.TaskSandboxReady => new(e.Sequence, e.Type, e.Timestamp, "Sandbox ready",
                Text("preview_url") is { } url ? "Preview " + url : "No preview (not a frontend task)", TaskStepTone.Progress),
            EventTypes.TaskAgentStarted => new(e.Sequence, e.Type, e.Timestamp, "Agent started", $"{Text("agent")} · session {Text("session_id")}", TaskStepTone.Progress),
            EventTypes.TaskPushed => new(e.Sequence, e.Type, e.Timestamp, "Branch pushed",
                $"{Text("branch")} at {Short(Text("commit"))} ({Text("files") ?? "?"} files)", TaskStepTone.Progress),
            EventTypes.TaskPrCreated => new(e.Sequence, e.Type, e.Timestamp, Flag("existing") ? "Pull request found" : "Pull request opened",
                Text("pull_request_url"), TaskStepTone.Progress),
            EventTypes.TaskCompleted => new(e.Sequence, e.Type, e.Timestamp, "Completed", null, TaskStepTone.Success),
            EventTypes.TaskFailed => new(e.Sequence, e.Type, e.Timestamp,
                Text("status") == "queued" ? "Attempt failed, queued again" : "Failed", Text("error"), TaskStepTone.Danger),
            _ => null,
        };
    }

    /// <summary>The tone class of a step (<c>tone-…</c>): a step done is info, the end success or danger.</summary>
    public static string ToneName(TaskStepTone tone) => tone switch
    {
        TaskStepTone.Success => "success",
        TaskStepTone.Danger => "danger",
        _ => "info",
    };

    public static string? Short(string? commit) => commit is { Length: > 12 } ? commit[..12] : commit;
}

public enum TaskStepTone { Progress, Success, Danger }

/// <summary>A step of a task's timeline, from its event.</summary>
public sealed record TaskStep(long Sequence, string Type, DateTimeOffset At, string Label, string? Detail, TaskStepTone Tone);
