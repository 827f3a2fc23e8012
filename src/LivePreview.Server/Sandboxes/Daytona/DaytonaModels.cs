using System.Text.Json.Serialization;

namespace LivePreview.Sandboxes.Daytona;

// The wire shapes of Daytona's API and toolbox, with the field names of its OpenAPI documents (apps/api DTOs, the daemon's
// swagger). Only the fields this provider reads or sends; unknown fields are ignored.

/// <summary><c>CreateSandbox</c> (POST /sandbox).</summary>
internal sealed record DaytonaCreateSandbox(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("snapshot")] string Snapshot,
    [property: JsonPropertyName("labels")] IReadOnlyDictionary<string, string> Labels,
    [property: JsonPropertyName("autoStopInterval")] int AutoStopInterval,
    [property: JsonPropertyName("target"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Target,
    [property: JsonPropertyName("public")] bool Public = false);

/// <summary><c>Sandbox</c> and <c>SandboxListItem</c>.</summary>
internal sealed record DaytonaSandbox(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("state")] string? State,
    [property: JsonPropertyName("errorReason")] string? ErrorReason,
    [property: JsonPropertyName("toolboxProxyUrl")] string? ToolboxProxyUrl,
    [property: JsonPropertyName("labels")] Dictionary<string, string>? Labels)
{
    public bool IsStarted => State == "started";

    /// <summary>States from which a start brings the sandbox back (auto-stop stops it; auto-archive archives it).</summary>
    public bool IsStartable => State is "stopped" or "archived" or "paused";

    public bool IsFailed => State is "error" or "build_failed";
}

/// <summary><c>ListSandboxesResponse</c> (GET /sandbox).</summary>
internal sealed record DaytonaSandboxPage(
    [property: JsonPropertyName("items")] IReadOnlyList<DaytonaSandbox> Items,
    [property: JsonPropertyName("nextCursor")] string? NextCursor);

/// <summary><c>PortPreviewUrl</c> (GET /sandbox/{id}/ports/{port}/preview-url).</summary>
internal sealed record DaytonaPreviewUrl(
    [property: JsonPropertyName("sandboxId")] string SandboxId,
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("token")] string Token);

/// <summary><c>CreateSessionRequest</c>.</summary>
internal sealed record DaytonaCreateSession([property: JsonPropertyName("sessionId")] string SessionId);

/// <summary><c>SessionExecuteRequest</c>.</summary>
internal sealed record DaytonaSessionExecute(
    [property: JsonPropertyName("command")] string Command,
    [property: JsonPropertyName("runAsync")] bool RunAsync);

/// <summary><c>SessionExecuteResponse</c>.</summary>
internal sealed record DaytonaSessionExecuteResponse(
    [property: JsonPropertyName("cmdId")] string CmdId,
    [property: JsonPropertyName("exitCode")] int? ExitCode);

/// <summary><c>Command</c> (GET /process/session/{sessionId}/command/{commandId}); <c>exitCode</c> is absent while it runs.</summary>
internal sealed record DaytonaCommand(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("command")] string Command,
    [property: JsonPropertyName("exitCode")] int? ExitCode);

/// <summary><c>Session</c> (GET /process/session).</summary>
internal sealed record DaytonaSession(
    [property: JsonPropertyName("sessionId")] string SessionId,
    [property: JsonPropertyName("commands")] IReadOnlyList<DaytonaCommand>? Commands);

/// <summary><c>FileInfo</c>.</summary>
internal sealed record DaytonaFileInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("isDir")] bool IsDir,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("modifiedAt")] DateTimeOffset? ModifiedAt);

[JsonSerializable(typeof(DaytonaCreateSandbox))]
[JsonSerializable(typeof(DaytonaSandbox))]
[JsonSerializable(typeof(DaytonaSandboxPage))]
[JsonSerializable(typeof(DaytonaPreviewUrl))]
[JsonSerializable(typeof(DaytonaCreateSession))]
[JsonSerializable(typeof(DaytonaSessionExecute))]
[JsonSerializable(typeof(DaytonaSessionExecuteResponse))]
[JsonSerializable(typeof(DaytonaCommand))]
[JsonSerializable(typeof(DaytonaFileInfo))]
[JsonSerializable(typeof(List<DaytonaFileInfo>))]
[JsonSerializable(typeof(List<DaytonaSession>))]
internal sealed partial class DaytonaJson : JsonSerializerContext;
