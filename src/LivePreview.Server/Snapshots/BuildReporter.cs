using LivePreview.Events;

namespace LivePreview.Snapshots;

/// <summary>
/// Tells everyone how one build goes: the logs get every line, callers' <see cref="IProgress{T}"/>
/// get every line, the event bus gets every step but at most ~2 output lines a second (npm and
/// Vite print hundreds, and each event is persisted).
/// </summary>
internal sealed class BuildReporter(IEventBus events, ILogger logger, TimeProvider time, SnapshotTemplate template)
{
    private static readonly TimeSpan MinOutputEventInterval = TimeSpan.FromMilliseconds(500);

    private readonly Lock _gate = new();
    private readonly List<IProgress<string>> _listeners = [];
    private DateTimeOffset _lastOutputEvent = DateTimeOffset.MinValue;

    public string SnapshotId => template.SnapshotId;

    /// <summary>A caller that joins a running build hears about it from then on.</summary>
    public void AddListener(IProgress<string>? progress)
    {
        if (progress is not null)
        {
            lock (_gate)
            {
                _listeners.Add(progress);
            }
        }
    }

    public Task StartedAsync(string reason, CancellationToken ct)
    {
        SnapshotLog.BuildStarted(logger, SnapshotId, reason);
        Notify($"Building {SnapshotId}: {reason}");
        return PublishAsync(EventTypes.SnapshotBuildStarted, new { framework = template.Framework.Name, message = reason }, ct);
    }

    public Task StepAsync(string step, CancellationToken ct)
    {
        SnapshotLog.BuildStep(logger, SnapshotId, step);
        Notify(step);
        return PublishAsync(EventTypes.SnapshotBuildProgress, new { framework = template.Framework.Name, message = step }, ct);
    }

    public Task OutputAsync(string line, CancellationToken ct)
    {
        SnapshotLog.BuildOutput(logger, SnapshotId, line);
        Notify(line);
        return ShouldPublishOutput()
            ? PublishAsync(EventTypes.SnapshotBuildProgress, new { framework = template.Framework.Name, message = line }, ct)
            : Task.CompletedTask;
    }

    public Task CompletedAsync(SnapshotManifest manifest)
    {
        SnapshotLog.BuildCompleted(logger, SnapshotId, manifest.BuildSeconds, manifest.DepCacheWarmed);
        Notify($"Built {SnapshotId} in {manifest.BuildSeconds:0.0} s");
        return PublishAsync(EventTypes.SnapshotBuildCompleted, new
        {
            framework = manifest.Framework,
            message = $"Built in {manifest.BuildSeconds:0.0} s",
            directory = manifest.Directory,
            versions = manifest.Versions,
            build_seconds = manifest.BuildSeconds,
            dep_cache_warmed = manifest.DepCacheWarmed,
        }, CancellationToken.None);
    }

    public Task FailedAsync(Exception exception)
    {
        SnapshotLog.BuildFailed(logger, SnapshotId, exception);
        Notify($"Failed: {exception.Message}");
        return PublishAsync(EventTypes.SnapshotBuildFailed, new { framework = template.Framework.Name, message = exception.Message }, CancellationToken.None);
    }

    private bool ShouldPublishOutput()
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (now - _lastOutputEvent < MinOutputEventInterval)
            {
                return false;
            }
            _lastOutputEvent = now;
            return true;
        }
    }

    private void Notify(string message)
    {
        IProgress<string>[] listeners;
        lock (_gate)
        {
            listeners = [.. _listeners];
        }
        foreach (var listener in listeners)
        {
            listener.Report(message);
        }
    }

    private Task PublishAsync(string type, object payload, CancellationToken ct) =>
        events.PublishAsync(new EventDraft(type, "snapshot", SnapshotId, null, payload), ct);
}
