using LivePreview.Events;
using LivePreview.Frameworks;
using LivePreview.Persistence;
using LivePreview.Previews;
using LivePreview.Sandboxes;

namespace LivePreview.WarmPool;

internal enum StartOutcomeKind { Ready, SandboxFailed, PreviewFailed, PreviewStopped, Gone, TimedOut }

internal sealed record StartOutcome(StartOutcomeKind Kind, string? Detail = null, SandboxSnapshot? Sandbox = null)
{
    public EvictionReason AsEviction() => Kind switch
    {
        StartOutcomeKind.PreviewFailed => EvictionReason.PreviewFailed,
        StartOutcomeKind.PreviewStopped => EvictionReason.PreviewStopped,
        StartOutcomeKind.Gone => EvictionReason.Gone,
        StartOutcomeKind.TimedOut => EvictionReason.StartTimeout,
        _ => EvictionReason.StartFailed,
    };
}

/// <summary>
/// Waits until a new sandbox's default preview is ready, or says why it will not be. Subscribes to the
/// sandbox's events first and then reads the state, so no transition falls between the two; events are
/// only wake-ups (the state is read again each time), with a slow re-check in case one is missed.
/// </summary>
internal sealed class SandboxReadiness(SandboxManager sandboxes, PreviewManager previews, IEventBus events, TimeProvider time)
{
    private static readonly TimeSpan Recheck = TimeSpan.FromSeconds(1);

    private static readonly HashSet<string> WakeUps =
    [
        EventTypes.SandboxCreated, EventTypes.SandboxFailed, EventTypes.SandboxStopped, EventTypes.SandboxDeleted,
        EventTypes.PreviewReady, EventTypes.PreviewFailed, EventTypes.PreviewStopped,
    ];

    /// <param name="startPreview">Start the preview once the sandbox runs, when the sandbox lifecycle does not (AutoStartPreview off).</param>
    public async Task<StartOutcome> WaitAsync(string sandboxId, FrameworkDefinition framework, TimeSpan timeout, bool startPreview, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var stream = events.SubscribeAsync(new EventFilter(sandboxId, WakeUps), linked.Token).GetAsyncEnumerator(linked.Token);
        Task<bool>? next = null;
        var ended = false;
        try
        {
            while (true)
            {
                if (await CheckAsync(sandboxId, framework, startPreview, linked.Token) is { } outcome)
                {
                    return outcome;
                }
                if (ended)
                {
                    // The stream ended (too slow a reader, say): the re-check carries on alone.
                    await Task.Delay(Recheck, time, linked.Token);
                    continue;
                }
                next ??= NextOrEnd(stream);
                await Task.WhenAny(next, Task.Delay(Recheck, time, linked.Token));
                linked.Token.ThrowIfCancellationRequested();
                if (next.IsCompleted)
                {
                    ended = !await next;
                    next = null;
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var preview = previews.Find(new PreviewTarget(sandboxId, framework.DefaultPort));
            return new(StartOutcomeKind.TimedOut, $"Not ready within {timeout.TotalSeconds:0} s (preview {preview?.Status.ToString().ToLowerInvariant() ?? "missing"}).");
        }
        finally
        {
            await linked.CancelAsync();
            if (next is not null)
            {
                await next.ContinueWith(_ => { }, TaskScheduler.Default);
            }
            await stream.DisposeAsync();
        }
    }

    private static async Task<bool> NextOrEnd(IAsyncEnumerator<LivePreviewEvent> stream)
    {
        try
        {
            return await stream.MoveNextAsync();
        }
        catch (SlowSubscriberException)
        {
            return false;
        }
    }

    private async Task<StartOutcome?> CheckAsync(string sandboxId, FrameworkDefinition framework, bool startPreview, CancellationToken cancellationToken)
    {
        var sandbox = await sandboxes.GetAsync(sandboxId, cancellationToken);
        switch (sandbox?.Status)
        {
            case null:
                return new(StartOutcomeKind.Gone, "The sandbox was deleted.");
            case SandboxStatus.Error:
                return new(StartOutcomeKind.SandboxFailed, sandbox.Error, sandbox);
            case SandboxStatus.Stopped or SandboxStatus.Deleted:
                return new(StartOutcomeKind.SandboxFailed, $"The sandbox was {sandbox.Status.ToString().ToLowerInvariant()}.", sandbox);
            case SandboxStatus.Creating:
                return null;
        }
        var target = new PreviewTarget(sandboxId, framework.DefaultPort);
        var preview = previews.Find(target);
        if (preview is null && startPreview)
        {
            preview = await previews.EnsureAsync(sandboxId, framework, framework.DefaultPort, cancellationToken);
        }
        return preview?.Status switch
        {
            PreviewStatus.Ready => new(StartOutcomeKind.Ready, null, sandbox),
            PreviewStatus.Error => new(StartOutcomeKind.PreviewFailed, preview.Error, sandbox),
            PreviewStatus.Stopped => new(StartOutcomeKind.PreviewStopped, "The preview was stopped.", sandbox),
            _ => null,
        };
    }
}
