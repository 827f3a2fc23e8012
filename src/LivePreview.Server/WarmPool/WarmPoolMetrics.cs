using System.Diagnostics.Metrics;
using System.Text.Json;

namespace LivePreview.WarmPool;

/// <summary>
/// The meter <c>LivePreview.WarmPool</c> (exported at /metrics as <c>livepreview_warmpool_*</c>): hits,
/// misses and evictions; claim, session-start and replenish latencies; pool size and the memory of
/// each pooled sandbox as observable gauges read from the pool's own state at scrape time.
/// </summary>
internal sealed class WarmPoolMetrics
{
    public const string MeterName = "LivePreview.WarmPool";

    /// <summary>Seconds: from a few milliseconds (a claim) to a minute (a cold Next start).</summary>
    private static readonly IReadOnlyList<double> SecondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];

    private readonly Counter<long> _hits;
    private readonly Counter<long> _misses;
    private readonly Counter<long> _evictions;
    private readonly Histogram<double> _claim;
    private readonly Histogram<double> _sessionStart;
    private readonly Histogram<double> _replenish;

    public WarmPoolMetrics(IMeterFactory meters, PoolGauges gauges)
    {
        var meter = meters.Create(MeterName);
        _hits = meter.CreateCounter<long>("livepreview.warmpool.hits", description: "Session starts served by a pooled sandbox.");
        _misses = meter.CreateCounter<long>("livepreview.warmpool.misses", description: "Session starts that found no ready pooled sandbox and started cold.");
        _evictions = meter.CreateCounter<long>("livepreview.warmpool.evictions", description: "Pooled sandboxes removed before a claim, by reason.");
        _claim = Seconds(meter, "livepreview.warmpool.claim.duration", "Time to claim a pooled sandbox (database claim included).");
        _sessionStart = Seconds(meter, "livepreview.session.start.duration", "From a session start until its preview is ready; tag start = warm or cold.");
        _replenish = Seconds(meter, "livepreview.warmpool.replenish.duration", "From starting a pooled sandbox until its preview is ready.");
        meter.CreateObservableGauge("livepreview.warmpool.sandboxes", gauges.Sizes, description: "Unclaimed pooled sandboxes by framework and state (ready, starting).");
        meter.CreateObservableGauge("livepreview.warmpool.target", gauges.Targets, description: "Configured pool size by framework.");
        meter.CreateObservableGauge("livepreview.warmpool.sandbox.memory", gauges.Memory, unit: "By", description: "Resident memory (sum of VmRSS) of each pooled sandbox, sampled by the health pass.");
    }

    public void Hit(string framework, TimeSpan claim)
    {
        var tag = Framework(framework);
        _hits.Add(1, tag);
        _claim.Record(claim.TotalSeconds, tag);
        _sessionStart.Record(claim.TotalSeconds, tag, new("start", "warm"));
    }

    public void Miss(string framework) => _misses.Add(1, Framework(framework));

    public void ColdStartReady(string framework, TimeSpan elapsed) => _sessionStart.Record(elapsed.TotalSeconds, Framework(framework), new("start", "cold"));

    public void Evicted(string framework, EvictionReason reason) => _evictions.Add(1, Framework(framework), new("reason", Tag(reason)));

    public void Replenished(string framework, TimeSpan elapsed) => _replenish.Record(elapsed.TotalSeconds, Framework(framework));

    public static string Tag(EvictionReason reason) => JsonNamingPolicy.SnakeCaseLower.ConvertName(reason.ToString());

    private static KeyValuePair<string, object?> Framework(string framework) => new("framework", framework);

    private static Histogram<double> Seconds(Meter meter, string name, string description) =>
        meter.CreateHistogram(name, unit: "s", description: description, tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
}

/// <summary>What the observable gauges read: the current members, their previews and cached memory.</summary>
internal sealed class PoolGauges(PoolView view)
{
    public IEnumerable<Measurement<int>> Sizes() => view.Read().Frameworks.SelectMany(f => new[]
    {
        new Measurement<int>(f.Ready, new KeyValuePair<string, object?>("framework", f.Framework), new("state", "ready")),
        new Measurement<int>(f.Starting, new KeyValuePair<string, object?>("framework", f.Framework), new("state", "starting")),
    });

    public IEnumerable<Measurement<int>> Targets() =>
        view.Read().Frameworks.Select(f => new Measurement<int>(f.TargetSize, new KeyValuePair<string, object?>("framework", f.Framework)));

    public IEnumerable<Measurement<long>> Memory() => view.Read().Frameworks.SelectMany(f => f.Members
        .Where(m => m.MemoryBytes is not null)
        .Select(m => new Measurement<long>(m.MemoryBytes!.Value, new KeyValuePair<string, object?>("framework", f.Framework), new("sandbox_id", m.SandboxId))));
}
