using System.Text.Json;
using System.Text.Json.Serialization;

namespace LivePreview.Events;

/// <summary>
/// Everything that happens is published here. The bus persists each event with a sequence number
/// before delivering it, so a subscriber that reconnects can resume from a sequence with nothing lost.
/// The in-process implementation is the default; a Redis one plugs in behind the same interface.
/// </summary>
public interface IEventBus
{
    /// <summary>Persists the event, assigns its sequence and delivers it to live subscribers.</summary>
    Task<LivePreviewEvent> PublishAsync(EventDraft draft, CancellationToken cancellationToken = default);

    /// <summary>
    /// Live events matching the filter, in sequence order. The subscriber is registered before this method
    /// returns (not on first enumeration), so a caller can subscribe, then replay stored events after its
    /// cursor, then skip live events at or below the last replayed sequence: no gap, no duplicate.
    /// The stream is enumerated once; it ends with <see cref="SlowSubscriberException"/> when the reader
    /// falls more than <see cref="EventBusOptions.SubscriberBufferSize"/> events behind.
    /// </summary>
    IAsyncEnumerable<LivePreviewEvent> SubscribeAsync(EventFilter filter, CancellationToken cancellationToken);
}

/// <summary>An event before it has a sequence number.</summary>
/// <param name="Owner">Who may read it when no sandbox names one yet (a task's events before its sandbox exists); a sandbox's owner wins.</param>
public sealed record EventDraft(string Type, string EntityType, string EntityId, string? SandboxId, object? Payload = null, string? Owner = null);

/// <summary>A persisted event. Serialized as { sequence, type, entity_type, entity_id, sandbox_id, timestamp, payload }.</summary>
/// <param name="Owner">Who may read it (<see cref="Persistence.EventRecord.Owner"/>; null: admins only); not serialized.</param>
public sealed record LivePreviewEvent(
    long Sequence,
    string Type,
    string EntityType,
    string EntityId,
    string? SandboxId,
    DateTimeOffset Timestamp,
    JsonElement? Payload,
    [property: JsonIgnore] string? Owner = null);

/// <param name="Owner">
/// Only events owned by this user. Null means every event: for admins and the service's own readers only —
/// code reading for a signed-in user sets it with <see cref="EventVisibility.VisibleTo"/>.
/// </param>
public sealed record EventFilter(string? SandboxId = null, IReadOnlySet<string>? Types = null, string? EntityType = null, string? EntityId = null, string? Owner = null)
{
    public static EventFilter All { get; } = new();

    public bool Matches(LivePreviewEvent e) =>
        (Owner is null || string.Equals(e.Owner, Owner, StringComparison.Ordinal))
        && (SandboxId is null || e.SandboxId == SandboxId)
        && (Types is null || Types.Contains(e.Type))
        && (EntityType is null || e.EntityType == EntityType)
        && (EntityId is null || e.EntityId == EntityId);
}

/// <summary>Event type names (upper case, as in the seed).</summary>
public static class EventTypes
{
    /// <summary>Every type name, for validating filters.</summary>
    public static IReadOnlySet<string> All { get; } = typeof(EventTypes).GetFields()
        .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToHashSet(StringComparer.Ordinal);

    public const string SandboxCreating = "SANDBOX_CREATING";
    public const string SandboxCreated = "SANDBOX_CREATED";
    public const string SandboxStopped = "SANDBOX_STOPPED";
    public const string SandboxDeleted = "SANDBOX_DELETED";
    public const string SandboxFailed = "SANDBOX_FAILED";

    /// <summary>The instance running the sandbox stopped answering (Instances/): the sandbox is lost until it returns.</summary>
    public const string SandboxLost = "SANDBOX_LOST";
    public const string PreviewPending = "PREVIEW_PENDING";
    public const string PreviewStarting = "PREVIEW_STARTING";
    public const string PreviewReady = "PREVIEW_READY";
    public const string PreviewFailed = "PREVIEW_FAILED";
    public const string PreviewStopped = "PREVIEW_STOPPED";
    public const string DevServerLog = "DEV_SERVER_LOG";
    public const string DevServerCrashed = "DEV_SERVER_CRASHED";

    // Port detection (Previews/PortWatcher): a port something in the sandbox listens on.
    public const string PortOpened = "PORT_OPENED";
    public const string PortClosed = "PORT_CLOSED";
    public const string PortRefused = "PORT_REFUSED";
    public const string FileChanged = "FILE_CHANGED";
    public const string FileDeleted = "FILE_DELETED";
    public const string PreviewClientReport = "PREVIEW_CLIENT_REPORT";

    /// <summary>A browser applied and painted a hot update (Proxy/PreviewUpdates): edit → paint latency, entity type "preview".</summary>
    public const string PreviewUpdated = "PREVIEW_UPDATED";
    public const string PrototypeSessionStarted = "PROTOTYPE_SESSION_STARTED";
    public const string PrototypeSessionEnded = "PROTOTYPE_SESSION_ENDED";
    public const string PromptStarted = "PROMPT_STARTED";
    public const string PromptCompleted = "PROMPT_COMPLETED";
    public const string PromptFailed = "PROMPT_FAILED";
    public const string AgentText = "AGENT_TEXT";
    public const string AgentToolCalled = "AGENT_TOOL_CALLED";
    public const string AgentToolCompleted = "AGENT_TOOL_COMPLETED";
    public const string AgentFeedback = "AGENT_FEEDBACK";

    // Agent sessions (AgentSessions/): entity type "session", on the sandbox.
    public const string SessionStarted = "SESSION_STARTED";
    public const string Interrupted = "INTERRUPTED";
    public const string Resumed = "RESUMED";
    public const string SessionCompleted = "SESSION_COMPLETED";
    public const string SessionFailed = "SESSION_FAILED";
    public const string CheckpointCreated = "CHECKPOINT_CREATED";
    public const string CheckpointRestored = "CHECKPOINT_RESTORED";
    public const string CheckpointScreenshot = "CHECKPOINT_SCREENSHOT";
    public const string ExportCompleted = "EXPORT_COMPLETED";
    public const string ExportFailed = "EXPORT_FAILED";
    public const string SnapshotBuildStarted = "SNAPSHOT_BUILD_STARTED";
    public const string SnapshotBuildProgress = "SNAPSHOT_BUILD_PROGRESS";
    public const string SnapshotBuildCompleted = "SNAPSHOT_BUILD_COMPLETED";
    public const string SnapshotBuildFailed = "SNAPSHOT_BUILD_FAILED";
    // Repository sandboxes (Repositories/): entity type "sandbox".
    public const string RepositoryCloned = "REPOSITORY_CLONED";
    public const string AppDetected = "APP_DETECTED";
    public const string DependenciesInstalling = "DEPENDENCIES_INSTALLING";
    public const string DependenciesProgress = "DEPENDENCIES_PROGRESS";
    public const string DependenciesReady = "DEPENDENCIES_READY";
    // Tasks (Tasks/TaskWorker.cs): entity type "task", entity id the task's id, sandbox id once it has one.
    public const string TaskClaimed = "TASK_CLAIMED";
    public const string TaskSandboxReady = "TASK_SANDBOX_READY";
    public const string TaskAgentStarted = "TASK_AGENT_STARTED";
    public const string TaskPushed = "TASK_PUSHED";
    public const string TaskPrCreated = "TASK_PR_CREATED";
    public const string TaskCompleted = "TASK_COMPLETED";
    public const string TaskFailed = "TASK_FAILED";
    public const string FirewallRestored = "FIREWALL_RESTORED";
    public const string EgressRefused = "EGRESS_REFUSED";
    public const string CommandStarted = "COMMAND_STARTED";
    public const string CommandExited = "COMMAND_EXITED";

    // Gateway (Gateway/, Questions/).
    public const string Question = "QUESTION";
    public const string Answered = "ANSWERED";
    public const string QuestionExpired = "QUESTION_EXPIRED";
    public const string ModelUsage = "MODEL_USAGE";

    // Audit (Auth/Audit.cs): no sandbox id; payloads name keys by id, never the key or its hash.
    public const string KeyCreated = "KEY_CREATED";
    public const string KeyRevoked = "KEY_REVOKED";
    public const string RateLimited = "RATE_LIMITED";
    public const string SignInRefused = "SIGN_IN_REFUSED";
    public const string OriginRefused = "ORIGIN_REFUSED";
    public const string GrantCreated = "GRANT_CREATED";
    public const string GrantRevoked = "GRANT_REVOKED";
    public const string PreviewVisibilityChanged = "PREVIEW_VISIBILITY_CHANGED";
}

/// <summary>The kinds of entity an event is about (<see cref="LivePreviewEvent.EntityType"/>); publishers should use these names.</summary>
public static class EntityTypes
{
    /// <summary>Every entity type name, for validating filters.</summary>
    public static IReadOnlySet<string> All { get; } = typeof(EntityTypes).GetFields()
        .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToHashSet(StringComparer.Ordinal);

    public const string Sandbox = "sandbox";
    public const string Preview = "preview";
    public const string Snapshot = "snapshot";
    public const string File = "file";
    public const string Prototype = "prototype";
    public const string AgentSession = "session";
    public const string Task = "task";
    public const string Host = "host";
    public const string User = "user";
    public const string Key = "key";
    public const string Grant = "grant";
    public const string Question = "question";
}
