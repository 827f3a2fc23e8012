namespace LivePreview.Prototypes;

public sealed record PrototypeSessionView(
    string Id, string SandboxId, string Framework, string Status, string PreviewUrl, string PreviewStatus, string? Error,
    string? Agent, string? Model, bool AgentAvailable, string? AgentProblem, IReadOnlyList<TurnView> Turns, DateTimeOffset CreatedAt);

public sealed record TurnView(string Id, string Prompt, string Status, string? Summary, string? Error, string? CheckpointId, int FixAttempts,
    DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt)
{
    public static TurnView From(PrototypeTurnRecord t) =>
        new(t.Id, t.Prompt, t.Status.ToString().ToLowerInvariant(), t.Summary, t.Error, t.CheckpointId, t.FixAttempts, t.CreatedAt, t.CompletedAt);
}

/// <param name="ScreenshotUrl">The address of the checkpoint's PNG of the preview; null while it has none (see CHECKPOINT_SCREENSHOT).</param>
public sealed record CheckpointView(string Id, string Sha, string Kind, string Message, IReadOnlyList<string> Files, string? TurnId, DateTimeOffset CreatedAt,
    string? ScreenshotUrl = null)
{
    public static CheckpointView From(CheckpointRecord c) => From(c, null);

    public static CheckpointView From(CheckpointRecord c, string? screenshotUrl) =>
        new(c.Id, c.Sha, c.Kind, c.Message, System.Text.Json.JsonSerializer.Deserialize<List<string>>(c.FilesJson) ?? [], c.TurnId, c.CreatedAt, screenshotUrl);
}

public sealed class PrototypeNotFoundException(string id) : Exception($"No prototype session has the id '{id}' (or it has ended).");

public sealed class PromptInProgressException() : Exception("A prompt is already running in this session; wait for PROMPT_COMPLETED or interrupt it first.");

public sealed class InvalidPromptException(string message) : Exception(message);
