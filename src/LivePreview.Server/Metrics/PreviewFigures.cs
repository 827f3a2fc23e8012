using System.Security.Claims;
using System.Text.Json;
using LivePreview.Auth;
using LivePreview.Events;
using LivePreview.Persistence;
using LivePreview.Repositories;
using LivePreview.Tasks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LivePreview.Metrics;

/// <summary>What the dashboard's Previews card shows: the seed's success metrics over <see cref="MetricsOptions.DashboardWindow"/>.</summary>
public sealed record PreviewFigures(
    Availability Availability,
    IReadOnlyList<TimeToPreview> Repositories,
    IReadOnlyList<TimeToPreview> Templates,
    InstallTimes Install);

/// <summary>Of the last <see cref="Total"/> finished frontend tasks, <see cref="Ready"/> reached PREVIEW_READY.</summary>
public sealed record Availability(int Ready, int Total)
{
    public double? Ratio => Total == 0 ? null : (double)Ready / Total;
}

/// <summary>Sandbox created → first PREVIEW_READY, for <see cref="Count"/> sandboxes of one repository or template.</summary>
public sealed record TimeToPreview(string Name, int Count, TimeSpan P50, TimeSpan P90);

/// <summary>The dependency step (DEPENDENCIES_INSTALLING → DEPENDENCIES_READY) with a reused layer and with a built one.</summary>
public sealed record InstallTimes(int WarmCount, TimeSpan? WarmP50, int ColdCount, TimeSpan? ColdP50);

/// <summary>
/// Computes <see cref="PreviewFigures"/> from the database, so they survive restarts and agree across instances, in a
/// fixed number of bounded queries: the newest <see cref="MetricsOptions.DashboardSandboxes"/> sandboxes of the window,
/// the PREVIEW_READY and DEPENDENCIES_* events of those (by the (SandboxId, Sequence) index), the newest finished tasks
/// and the app profiles of their sandboxes. Admins see everyone's figures, users their own. Unclaimed pooled sandboxes
/// belong to no one and are left out (the warm pool card has their figures). A deleted sandbox's row is gone, and with
/// it its figures: the card describes the sandboxes that exist; /metrics keeps everything since the process started.
/// </summary>
public sealed class PreviewFiguresQuery(IDbContextFactory<LivePreviewDbContext> databases, IOptions<MetricsOptions> options, TimeProvider time)
{
    private static readonly string[] EventTypesRead = [EventTypes.PreviewReady, EventTypes.DependenciesInstalling, EventTypes.DependenciesReady];

    public Task<PreviewFigures> ReadAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(user);
        return ReadAsync(user.IsAdmin() ? null : user.UserId() ?? "", ct);
    }

    /// <param name="owner">Whose figures; null: everyone's.</param>
    public async Task<PreviewFigures> ReadAsync(string? owner, CancellationToken ct)
    {
        var o = options.Value;
        var since = time.GetUtcNow() - o.DashboardWindow;
        await using var db = await databases.CreateDbContextAsync(ct);
        var sandboxes = await db.Sandboxes.AsNoTracking()
            .Where(s => s.Owner != null && (owner == null || s.Owner == owner) && s.CreatedAt >= since)
            .OrderByDescending(s => s.CreatedAt).Take(o.DashboardSandboxes)
            .Select(s => new SandboxRow(s.Id, s.Framework, s.RepositoryUrl, s.CreatedAt, s.DependenciesReused))
            .ToListAsync(ct);
        var ids = sandboxes.Select(s => s.Id).ToList();
        var events = await db.Events.AsNoTracking()
            .Where(e => e.SandboxId != null && ids.Contains(e.SandboxId) && EventTypesRead.Contains(e.Type))
            .OrderBy(e => e.Sequence).Take(o.DashboardSandboxes * 8)
            .Select(e => new EventRow(e.SandboxId!, e.Type, e.Timestamp))
            .ToListAsync(ct);
        var availability = await AvailabilityAsync(db, owner, since, o.DashboardTasks, ct);
        var byId = events.GroupBy(e => e.SandboxId).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var ready = sandboxes.Select(s => (Sandbox: s, Elapsed: FirstReady(s, byId))).Where(r => r.Elapsed is not null).ToList();
        return new PreviewFigures(
            availability,
            Summaries(ready.Where(r => r.Sandbox.RepositoryUrl is not null), r => RepositoryTag.Normalize(r.Sandbox.RepositoryUrl!)).Take(o.DashboardRepositories).ToList(),
            Summaries(ready.Where(r => r.Sandbox.RepositoryUrl is null), r => r.Sandbox.Framework).ToList(),
            Install(sandboxes, byId));
    }

    /// <summary>The newest finished tasks, frontend by their capabilities or, failing that, by their sandbox's app profile.</summary>
    private static async Task<Availability> AvailabilityAsync(LivePreviewDbContext db, string? owner, DateTimeOffset since, int count, CancellationToken ct)
    {
        var tasks = await db.Tasks.AsNoTracking()
            .Where(t => (t.Status == TaskState.Completed || t.Status == TaskState.Failed) && (owner == null || t.Owner == owner) && t.UpdatedAt >= since)
            .OrderByDescending(t => t.UpdatedAt).Take(count * 4)
            .Select(t => new { t.RequiredCapabilities, t.PreviewUrl, t.SandboxId })
            .ToListAsync(ct);
        var undecided = tasks.Where(t => !FrontendByCapabilities(t.RequiredCapabilities) && t.SandboxId != null).Select(t => t.SandboxId!).ToList();
        var profiles = await db.Sandboxes.AsNoTracking().Where(s => undecided.Contains(s.Id) && s.AppProfile != null)
            .Select(s => new { s.Id, s.AppProfile }).ToDictionaryAsync(s => s.Id, s => s.AppProfile, StringComparer.Ordinal, ct);
        var frontend = tasks.Where(t => FrontendByCapabilities(t.RequiredCapabilities)
            || (t.SandboxId is { } id && profiles.TryGetValue(id, out var profile) && RepositoryJson.Read<AppProfile>(profile)?.Frontend == true)).Take(count).ToList();
        return new Availability(frontend.Count(t => t.PreviewUrl != null), frontend.Count);
    }

    private static bool FrontendByCapabilities(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<string[]>(json)?.Any(c => c is not null && TaskWorker.FrontendCapabilities.Contains(c)) == true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static TimeSpan? FirstReady(SandboxRow sandbox, Dictionary<string, List<EventRow>> events) =>
        events.TryGetValue(sandbox.Id, out var list) && list.FirstOrDefault(e => e.Type == EventTypes.PreviewReady) is { } ready
            ? Max(ready.Timestamp - sandbox.CreatedAt)
            : null;

    private static InstallTimes Install(List<SandboxRow> sandboxes, Dictionary<string, List<EventRow>> events)
    {
        var steps = sandboxes.Where(s => s.DependenciesReused is not null)
            .Select(s => (Warm: s.DependenciesReused == true, Elapsed: DependencyStep(events.GetValueOrDefault(s.Id))))
            .Where(s => s.Elapsed is not null).ToList();
        var warm = steps.Where(s => s.Warm).Select(s => s.Elapsed!.Value).ToList();
        var cold = steps.Where(s => !s.Warm).Select(s => s.Elapsed!.Value).ToList();
        return new InstallTimes(warm.Count, Percentile(warm, 0.5), cold.Count, Percentile(cold, 0.5));
    }

    private static TimeSpan? DependencyStep(List<EventRow>? events)
    {
        var start = events?.FirstOrDefault(e => e.Type == EventTypes.DependenciesInstalling);
        var end = start is null ? null : events!.FirstOrDefault(e => e.Type == EventTypes.DependenciesReady && e.Timestamp >= start.Timestamp);
        return end is null ? null : Max(end.Timestamp - start!.Timestamp);
    }

    private static IEnumerable<TimeToPreview> Summaries(IEnumerable<(SandboxRow Sandbox, TimeSpan? Elapsed)> ready, Func<(SandboxRow Sandbox, TimeSpan? Elapsed), string> name) =>
        ready.GroupBy(name, StringComparer.Ordinal)
            .Select(g => Summary(g.Key, g.Select(r => r.Elapsed!.Value).ToList()))
            .OrderByDescending(t => t.Count).ThenBy(t => t.Name, StringComparer.Ordinal);

    private static TimeToPreview Summary(string name, List<TimeSpan> values) =>
        new(name, values.Count, Percentile(values, 0.5)!.Value, Percentile(values, 0.9)!.Value);

    /// <summary>Nearest rank: the smallest value with at least <paramref name="p"/> of the values at or below it.</summary>
    public static TimeSpan? Percentile(IReadOnlyCollection<TimeSpan> values, double p)
    {
        if (values.Count == 0)
        {
            return null;
        }
        var sorted = values.Order().ToList();
        var rank = (int)Math.Ceiling(p * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    private static TimeSpan Max(TimeSpan t) => t < TimeSpan.Zero ? TimeSpan.Zero : t;

    private sealed record SandboxRow(string Id, string Framework, string? RepositoryUrl, DateTimeOffset CreatedAt, bool? DependenciesReused);

    private sealed record EventRow(string SandboxId, string Type, DateTimeOffset Timestamp);
}
