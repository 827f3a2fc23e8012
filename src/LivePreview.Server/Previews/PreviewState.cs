using LivePreview.Persistence;

namespace LivePreview.Previews;

/// <summary>An immutable picture of a preview at one moment. The proxy routes on it; the API returns it.</summary>
public sealed record PreviewSnapshot(
    string Id,
    string SandboxId,
    int Port,
    string Url,
    PreviewStatus Status,
    string? Error,
    int Restarts,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? ReadyAt)
{
    public static PreviewSnapshot From(PreviewRecord r) =>
        new(r.Id, r.SandboxId, r.Port, r.Url, r.Status, r.Error, r.Restarts, r.CreatedAt, r.UpdatedAt, r.ReadyAt);
}

/// <summary>The legal transitions of a preview's lifecycle, in one place.</summary>
public static class PreviewTransitions
{
    public static bool IsAllowed(PreviewStatus from, PreviewStatus to) => (from, to) switch
    {
        (PreviewStatus.Pending, PreviewStatus.Starting or PreviewStatus.Stopped or PreviewStatus.Error) => true,
        (PreviewStatus.Starting, PreviewStatus.Ready or PreviewStatus.Error or PreviewStatus.Stopped or PreviewStatus.Starting) => true,
        (PreviewStatus.Ready, PreviewStatus.Starting or PreviewStatus.Error or PreviewStatus.Stopped) => true,
        (PreviewStatus.Error, PreviewStatus.Pending or PreviewStatus.Starting or PreviewStatus.Stopped) => true,
        (PreviewStatus.Stopped, PreviewStatus.Pending or PreviewStatus.Starting) => true,
        _ => false,
    };

    public static string EventType(PreviewStatus status) => status switch
    {
        PreviewStatus.Pending => Events.EventTypes.PreviewPending,
        PreviewStatus.Starting => Events.EventTypes.PreviewStarting,
        PreviewStatus.Ready => Events.EventTypes.PreviewReady,
        PreviewStatus.Error => Events.EventTypes.PreviewFailed,
        PreviewStatus.Stopped => Events.EventTypes.PreviewStopped,
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };
}

public sealed class IllegalTransitionException(PreviewStatus from, PreviewStatus to)
    : InvalidOperationException($"A preview cannot go from {from} to {to}.");

/// <summary>The preview cannot work with the current settings; the message says what to change.</summary>
public sealed class PreviewNotSupportedException(string message) : Exception(message);
