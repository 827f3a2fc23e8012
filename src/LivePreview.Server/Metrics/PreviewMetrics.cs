using System.Diagnostics;
using System.Diagnostics.Metrics;
using LivePreview.Events;
using LivePreview.Hosting;
using LivePreview.Persistence;
using LivePreview.Repositories;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LivePreview.Metrics;

/// <summary>
/// The meter <c>LivePreview.Previews</c>: the seed's success metrics at /metrics. Preview availability (frontend tasks
/// that ended with a preview vs without one), time to preview (sandbox created → its first PREVIEW_READY) by source,
/// framework and — for repositories — a bounded <see cref="RepositoryTags">repository tag</see>, and the time of the
/// dependency step of a repository sandbox with a warm (reused) or a cold (built) layer. Recorded by the process that did
/// the work, so several instances never count one thing twice; the dashboard reads the same figures from the database.
/// </summary>
public sealed partial class PreviewMetrics
{
    public const string MeterName = "LivePreview.Previews";

    /// <summary>Seconds: from a warm layer (milliseconds) to a cold Next install in a big monorepo (minutes).</summary>
    private static readonly IReadOnlyList<double> SecondsBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300, 600];

    private readonly IDbContextFactory<LivePreviewDbContext> _databases;
    private readonly BackgroundWork _background;
    private readonly ILogger<PreviewMetrics> _logger;
    private readonly RepositoryTags _repositories;
    private readonly Counter<long> _frontendTasks;
    private readonly Histogram<double> _timeToPreview;
    private readonly Histogram<double> _install;

    public PreviewMetrics(IMeterFactory meters, IDbContextFactory<LivePreviewDbContext> databases, BackgroundWork background,
        IOptions<MetricsOptions> options, ILogger<PreviewMetrics> logger)
    {
        (_databases, _background, _logger) = (databases, background, logger);
        _repositories = new RepositoryTags(options.Value.MaxRepositories);
        var meter = meters.Create(MeterName);
        _frontendTasks = meter.CreateCounter<long>("livepreview.tasks.frontend",
            description: "Frontend tasks that ended (completed, or failed for good); tag preview = ready (it reached PREVIEW_READY) or none. Availability = ready / all.");
        _timeToPreview = Seconds(meter, "livepreview.preview.time_to_ready",
            "From a sandbox's creation until its first PREVIEW_READY; tags source (template, pool, repository), framework, repository.");
        _install = Seconds(meter, "livepreview.dependencies.install.duration",
            "The dependency step of a repository sandbox; tag layer = warm (an existing layer was reused) or cold (it was built), package_manager.");
    }

    /// <summary>A frontend task ended: completed, or failed without another attempt.</summary>
    public void FrontendTaskEnded(bool previewReady) => _frontendTasks.Add(1, new KeyValuePair<string, object?>("preview", previewReady ? "ready" : "none"));

    public void DependenciesReady(bool reused, PackageManager packageManager, TimeSpan elapsed) =>
        _install.Record(elapsed.TotalSeconds, new("layer", reused ? "warm" : "cold"), new("package_manager", packageManager.ToString().ToLowerInvariant()));

    /// <summary>
    /// A preview went ready for the first time in this process's memory of it. Off the caller's path: the database says
    /// whether it is the sandbox's first PREVIEW_READY (a second port, a restart or a resume is not) and when it was created.
    /// </summary>
    public void PreviewReady(string sandboxId, DateTimeOffset readyAt) =>
        _background.Run($"time to preview {sandboxId}", ct => RecordTimeToPreviewAsync(sandboxId, readyAt, ct));

    internal async Task RecordTimeToPreviewAsync(string sandboxId, DateTimeOffset readyAt, CancellationToken ct)
    {
        try
        {
            await using var db = await _databases.CreateDbContextAsync(ct);
            var first = await db.Events.AsNoTracking().Where(e => e.SandboxId == sandboxId && e.Type == EventTypes.PreviewReady)
                .OrderBy(e => e.Sequence).Select(e => (DateTimeOffset?)e.Timestamp).FirstOrDefaultAsync(ct);
            var sandbox = await db.Sandboxes.AsNoTracking().Where(s => s.Id == sandboxId)
                .Select(s => new { s.CreatedAt, s.Framework, s.RepositoryUrl, s.Owner }).FirstOrDefaultAsync(ct);
            if (first is not { } ready || ready < readyAt || sandbox is null)
            {
                return;
            }
            var source = sandbox.RepositoryUrl is not null ? "repository" : sandbox.Owner is null ? "pool" : "template";
            var elapsed = Math.Max(0, (ready - sandbox.CreatedAt).TotalSeconds);
            var tags = new TagList { { "source", source }, { "framework", sandbox.Framework } };
            if (sandbox.RepositoryUrl is { } url)
            {
                tags.Add("repository", _repositories.Of(url));
            }
            _timeToPreview.Record(elapsed, tags);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogNotRecorded(_logger, e, sandboxId);
        }
    }

    private static Histogram<double> Seconds(Meter meter, string name, string description) =>
        meter.CreateHistogram(name, unit: "s", description: description, tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    [LoggerMessage(EventId = 2740, Level = LogLevel.Warning, Message = "The time to preview of sandbox {SandboxId} was not recorded")]
    private static partial void LogNotRecorded(ILogger logger, Exception exception, string sandboxId);
}
