using System.Text.Json;
using LivePreview.Events;
using LivePreview.Hosting;

namespace LivePreview.Tests.Ui;

/// <summary>Prototype events shaped as the turn runner and the manager publish them, numbered in order.</summary>
internal sealed class PrototypeEvents
{
    public const string SessionId = "pssession01";
    public const string SandboxId = "sbproto00001";
    private static readonly DateTimeOffset Start = new(2026, 11, 25, 17, 0, 0, TimeSpan.Zero);
    private long _sequence;

    public LivePreviewEvent Started(string turnId, string prompt) => Event(EventTypes.PromptStarted, new { turn_id = turnId, prompt, agent = "replay" });

    public LivePreviewEvent Text(string turnId, string text) => Agent(EventTypes.AgentText, turnId, new { text });

    public LivePreviewEvent AgentError(string turnId, string error) => Agent(EventTypes.AgentText, turnId, new { error });

    public LivePreviewEvent ToolCalled(string turnId, string tool, string argumentsJson) =>
        Agent(EventTypes.AgentToolCalled, turnId, new { tool, arguments = argumentsJson });

    public LivePreviewEvent ToolCompleted(string turnId, string tool, string? path, string summary, bool succeeded = true) =>
        Agent(EventTypes.AgentToolCompleted, turnId, new { tool, succeeded, summary, path });

    public LivePreviewEvent Feedback(string turnId, int attempt, params string[] errors) => Agent(EventTypes.AgentFeedback, turnId, new { attempt, errors });

    public LivePreviewEvent Completed(string turnId, string? checkpointId = "cp1") =>
        Event(EventTypes.PromptCompleted, new { turn_id = turnId, status = "completed", error = (string?)null, checkpoint_id = checkpointId, fix_attempts = 0 });

    public LivePreviewEvent Failed(string turnId, string status, string error) =>
        Event(EventTypes.PromptFailed, new { turn_id = turnId, status, error, checkpoint_id = (string?)null, fix_attempts = 0 });

    public LivePreviewEvent Ended() => Event(EventTypes.PrototypeSessionEnded, new { session_id = SessionId });

    private LivePreviewEvent Agent(string type, string turnId, object details) => Event(type, new { turn_id = turnId, details });

    private LivePreviewEvent Event(string type, object payload)
    {
        var sequence = ++_sequence;
        return new LivePreviewEvent(sequence, type, "prototype", SessionId, SandboxId, Start.AddSeconds(sequence),
            JsonSerializer.SerializeToElement(payload, JsonDefaults.Options));
    }
}
