using System.Globalization;
using System.Security.Claims;
using LivePreview.Auth;
using LivePreview.Persistence;
using Microsoft.EntityFrameworkCore;

namespace LivePreview.Usage;

/// <param name="Requests">Metered model responses.</param>
public sealed record UsageTotals(long InputTokens, long OutputTokens, long Requests);

public sealed record SandboxUsage(string SandboxId, string? User, long InputTokens, long OutputTokens, long Requests, DateTimeOffset FirstAt, DateTimeOffset LastAt);

public sealed record UserUsage(string? User, long InputTokens, long OutputTokens, long Requests);

/// <param name="User">Whose usage this is; null when an admin asked for everyone's.</param>
public sealed record UsageReport(string? User, string? SandboxId, DateTimeOffset? Since, UsageTotals Total, IReadOnlyList<UserUsage> Users, IReadOnlyList<SandboxUsage> Sandboxes);

/// <summary>
/// <c>GET /api/v1/usage</c>: model tokens in and out and requests, per sandbox and per user, as the model gateway metered
/// them (<see cref="ModelUsageRecord"/>). A user sees their own; an admin everyone's, or one user's with <c>?user=</c>;
/// <c>?sandbox_id=</c> and <c>?since=</c> (ISO 8601) narrow it. One grouped SQL query; the per-user and total lines are
/// sums of its rows.
/// </summary>
public static class UsageApi
{
    public static IEndpointRouteBuilder MapUsageApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/usage", GetAsync).WithTags("Usage")
            .WithSummary("Model tokens in/out and requests per sandbox and per user (yours; an admin may pass ?user=); ?sandbox_id=, ?since= narrow it.");
        return app;
    }

    private static async Task<IResult> GetAsync(ClaimsPrincipal principal, IDbContextFactory<LivePreviewDbContext> dbFactory, CancellationToken ct,
        string? user = null, string? sandbox_id = null, string? since = null)
    {
        var me = principal.RequireUserId();
        if (user is not null && user != me && !principal.IsAdmin())
        {
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not your usage",
                detail: "Only admins may read another user's usage; leave out ?user= to read your own.");
        }
        DateTimeOffset? from = null;
        if (since is not null)
        {
            if (!DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid since",
                    detail: $"'{since}' is not a date and time; give ISO 8601, such as ?since=2026-12-01T00:00:00Z.");
            }
            from = parsed.ToUniversalTime();
        }
        var whose = user ?? (principal.IsAdmin() ? null : me);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var sandboxes = await Query(db, whose, sandbox_id, from).ToListAsync(ct);
        var users = sandboxes.GroupBy(s => s.User)
            .Select(g => new UserUsage(g.Key, g.Sum(s => s.InputTokens), g.Sum(s => s.OutputTokens), g.Sum(s => s.Requests)))
            .OrderBy(u => u.User, StringComparer.Ordinal).ToList();
        var total = new UsageTotals(users.Sum(u => u.InputTokens), users.Sum(u => u.OutputTokens), users.Sum(u => u.Requests));
        return Results.Ok(new UsageReport(whose, sandbox_id, from, total, users, sandboxes));
    }

    /// <summary>One row per (user, sandbox): SELECT … GROUP BY owner, sandbox_id over the filtered rows.</summary>
    internal static IQueryable<SandboxUsage> Query(LivePreviewDbContext db, string? owner, string? sandboxId, DateTimeOffset? since)
    {
        var rows = db.ModelUsage.AsNoTracking();
        if (owner is not null)
        {
            rows = rows.Where(r => r.Owner == owner);
        }
        if (sandboxId is not null)
        {
            rows = rows.Where(r => r.SandboxId == sandboxId);
        }
        if (since is { } from)
        {
            rows = rows.Where(r => r.At >= from);
        }
        return rows.GroupBy(r => new { r.Owner, r.SandboxId })
            .OrderBy(g => g.Key.Owner).ThenBy(g => g.Key.SandboxId)
            .Select(g => new SandboxUsage(g.Key.SandboxId, g.Key.Owner, g.Sum(r => r.InputTokens), g.Sum(r => r.OutputTokens), g.LongCount(),
                g.Min(r => r.At), g.Max(r => r.At)));
    }
}
