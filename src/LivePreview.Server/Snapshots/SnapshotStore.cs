using LivePreview.Egress;
using LivePreview.Events;
using LivePreview.Frameworks;
using LivePreview.Sandboxes;
using Microsoft.Extensions.Options;

namespace LivePreview.Snapshots;

/// <summary>
/// Snapshots on local disk under <see cref="SnapshotLayout.Root"/>. One build per snapshot id runs
/// at a time and every caller asking for it awaits the same task. Builds run under the store's own
/// lifetime, not a caller's token: one caller giving up must not kill a build others wait for.
/// </summary>
internal sealed class SnapshotStore : ISnapshotStore, IDisposable
{
    private readonly SnapshotLayout _layout;
    private readonly ISnapshotUsage _usage;
    private readonly SnapshotBuilder _builder;
    private readonly SnapshotOptions _options;
    private readonly IEventBus _events;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly CancellationToken _stopping;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, RunningBuild> _running = new(StringComparer.Ordinal);

    public SnapshotStore(SnapshotLayout layout, ISandboxProvider provider, IEgressPolicy egress, ISnapshotUsage usage, IEventBus events,
        IOptions<SnapshotOptions> options, ILogger<SnapshotStore> logger, TimeProvider time)
    {
        (_layout, _usage, _options, _events, _logger, _time) = (layout, usage, options.Value, events, logger, time);
        var npm = new NpmCi(provider, egress, new NpmRegistry(_options), _options);
        _builder = new SnapshotBuilder(layout, provider, npm, new DepCacheWarmer(provider, logger, time, _options), _options, logger, time);
        _stopping = _lifetime.Token;
    }

    public async Task<SnapshotManifest> EnsureAsync(FrameworkDefinition framework, CancellationToken cancellationToken)
    {
        var template = _layout.ReadTemplate(framework);
        return _layout.FindCurrent(template)
            ?? await JoinOrStart(template, force: false, progress: null).WaitAsync(cancellationToken);
    }

    public async Task<SnapshotManifest> RebuildAsync(FrameworkDefinition framework, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var template = _layout.ReadTemplate(framework);
        return await JoinOrStart(template, force: true, progress).WaitAsync(cancellationToken);
    }

    /// <summary>Null also when the template cannot be read; <see cref="EnsureAsync"/> says why.</summary>
    public SnapshotManifest? TryGetCurrent(FrameworkDefinition framework)
    {
        try
        {
            return _layout.FindCurrent(_layout.ReadTemplate(framework));
        }
        catch (SnapshotException)
        {
            return null;
        }
    }

    public string? DirectoryOf(string snapshotId) => _layout.DirectoryOf(snapshotId);

    public void Dispose()
    {
        _lifetime.Cancel();
        _lifetime.Dispose();
    }

    /// <summary>A rebuild joins a build already running for the same lock file: that one is just as fresh.</summary>
    private Task<SnapshotManifest> JoinOrStart(SnapshotTemplate template, bool force, IProgress<string>? progress)
    {
        lock (_gate)
        {
            if (_running.TryGetValue(template.SnapshotId, out var running))
            {
                running.Reporter.AddListener(progress);
                return running.Task;
            }
            var reporter = new BuildReporter(_events, _logger, _time, template);
            reporter.AddListener(progress);
            // Task.Run keeps the build's synchronous start outside the lock. Not fire-and-forget:
            // callers await the task, and RunBuildAsync reports its own failure to logs and events.
            var task = Task.Run(() => RunBuildAsync(template, force, reporter), CancellationToken.None);
            _running[template.SnapshotId] = new RunningBuild(task, reporter);
            return task;
        }
    }

    private async Task<SnapshotManifest> RunBuildAsync(SnapshotTemplate template, bool force, BuildReporter reporter)
    {
        try
        {
            // Another process, or a build that finished just before this one was asked for, may have made it.
            if (!force && _layout.FindCurrent(template) is { } current)
            {
                return current;
            }
            await reporter.StartedAsync(force ? "rebuild requested" : "no snapshot of the template's lock file yet", _stopping);
            var manifest = await _builder.BuildAsync(template, reporter, replaceExisting: force, _stopping);
            await reporter.CompletedAsync(manifest);
            await CleanUpAsync(template.Framework, manifest.Directory);
            return manifest;
        }
        catch (Exception ex)
        {
            await ReportFailureAsync(reporter, ex);
            throw;
        }
        finally
        {
            lock (_gate)
            {
                _running.Remove(template.SnapshotId);
            }
        }
    }

    private async Task ReportFailureAsync(BuildReporter reporter, Exception failure)
    {
        try
        {
            await reporter.FailedAsync(failure);
        }
        catch (Exception ex)
        {
            // The build's own error matters more than the event bus's; keep it as the one thrown.
            SnapshotLog.BuildFailed(_logger, reporter.SnapshotId, ex);
        }
    }

    /// <summary>Best effort: a snapshot that is built stays built even if old ones cannot be removed now.</summary>
    private async Task CleanUpAsync(FrameworkDefinition framework, string currentDirectory)
    {
        try
        {
            var inUse = await _usage.SnapshotsInUseAsync(_stopping);
            foreach (var deleted in _layout.Prune(framework.Name, currentDirectory, _options.KeepOldSnapshots, inUse))
            {
                SnapshotLog.SnapshotDeleted(_logger, deleted);
            }
            var longestBuild = _options.BuildTimeout + _options.WarmUpTimeout;
            _layout.DeleteAbandonedWork(framework.Name, longestBuild * 2, _time.GetUtcNow());
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            SnapshotLog.CleanupFailed(_logger, framework.Name, ex);
        }
    }

    private sealed record RunningBuild(Task<SnapshotManifest> Task, BuildReporter Reporter);
}
