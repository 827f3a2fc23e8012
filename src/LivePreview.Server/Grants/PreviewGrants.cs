using System.Security.Cryptography;
using LivePreview.Auth;
using LivePreview.Events;
using LivePreview.Persistence;
using LivePreview.Previews;
using Microsoft.EntityFrameworkCore;

namespace LivePreview.Grants;

/// <summary>A new grant: its row, and the URL that carries its token (shown to its maker once, never stored).</summary>
public sealed record NewPreviewGrant(PreviewGrantRecord Record, string Url);

/// <summary>
/// The one place preview grants are made, checked and revoked. Tokens are 256 random bits stored as SHA-256, for
/// the reason <see cref="ApiKeys"/> gives. A token opens exactly the sandbox and port it was made for.
/// </summary>
public sealed partial class PreviewGrants(
    IDbContextFactory<LivePreviewDbContext> db,
    IEventBus events,
    GrantedSockets sockets,
    TimeProvider time,
    ILogger<PreviewGrants> logger)
{
    /// <summary>Every grant token starts with this, so it can be recognised wherever it turns up.</summary>
    public const string TokenPrefix = "lpg_";

    /// <summary>The query parameter of a grant URL: exchanged at the preview host for the grant cookie.</summary>
    public const string QueryParameter = "livepreview_grant";

    /// <summary>The host-only cookie the token is exchanged for.</summary>
    public const string CookieName = "livepreview_grant";

    public async Task<NewPreviewGrant> CreateAsync(PreviewSnapshot preview, string user, bool share, TimeSpan lifetime, CancellationToken ct)
    {
        var token = ApiKeys.NewSecret(TokenPrefix);
        var now = time.GetUtcNow();
        var record = new PreviewGrantRecord
        {
            Id = "grt_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            SandboxId = preview.SandboxId,
            Port = preview.Port,
            PreviewId = preview.Id,
            User = user,
            Share = share,
            TokenHash = ApiKeys.Hash(token),
            CreatedAt = now,
            ExpiresAt = now + lifetime,
        };
        await using (var context = await db.CreateDbContextAsync(ct))
        {
            context.PreviewGrants.Add(record);
            await context.SaveChangesAsync(ct);
        }
        LogCreated(logger, record.Id, record.SandboxId, record.Port, user, share, record.ExpiresAt);
        await PublishAsync(EventTypes.GrantCreated, record, user);
        return new NewPreviewGrant(record, $"{preview.Url}?{QueryParameter}={token}");
    }

    /// <summary>The grants of one preview (sandbox and port), newest first, revoked and expired ones included.</summary>
    public async Task<IReadOnlyList<PreviewGrantRecord>> ListAsync(PreviewTarget target, CancellationToken ct)
    {
        await using var context = await db.CreateDbContextAsync(ct);
        var grants = await context.PreviewGrants.AsNoTracking()
            .Where(g => g.SandboxId == target.SandboxId && g.Port == target.Port).ToListAsync(ct);
        return [.. grants.OrderByDescending(g => g.CreatedAt).ThenBy(g => g.Id, StringComparer.Ordinal)];
    }

    /// <summary>False when the preview has no such grant; revoking a revoked grant changes nothing.</summary>
    public async Task<bool> RevokeAsync(PreviewTarget target, string grantId, string user, CancellationToken ct)
    {
        await using var context = await db.CreateDbContextAsync(ct);
        var record = await context.PreviewGrants
            .SingleOrDefaultAsync(g => g.Id == grantId && g.SandboxId == target.SandboxId && g.Port == target.Port, ct);
        if (record is null)
        {
            return false;
        }
        if (record.RevokedAt is null)
        {
            record.RevokedAt = time.GetUtcNow();
            await context.SaveChangesAsync(ct);
            LogRevoked(logger, record.Id, record.SandboxId, record.Port, user);
            sockets.Close(record.Id);
            await PublishAsync(EventTypes.GrantRevoked, record, user);
        }
        return true;
    }

    /// <summary>
    /// The live grant <paramref name="token"/> stands for, when it is for exactly this sandbox and port; null otherwise.
    /// Asked on every request (no cache), so a revocation or an expiry holds from the next request on, on every
    /// instance sharing the database.
    /// </summary>
    public async Task<PreviewGrantRecord?> FindLiveAsync(PreviewTarget target, string token, CancellationToken ct)
    {
        if (!token.StartsWith(TokenPrefix, StringComparison.Ordinal) || token.Length > 128)
        {
            return null;
        }
        var hash = ApiKeys.Hash(token);
        var now = time.GetUtcNow();
        await using var context = await db.CreateDbContextAsync(ct);
        return await context.PreviewGrants.AsNoTracking().SingleOrDefaultAsync(g =>
            g.TokenHash == hash && g.SandboxId == target.SandboxId && g.Port == target.Port && g.RevokedAt == null && g.ExpiresAt > now, ct);
    }

    /// <summary>No token in the payload: the event stream is read by more people than the grant's holder.</summary>
    private Task PublishAsync(string type, PreviewGrantRecord g, string user) =>
        events.PublishAsync(new EventDraft(type, EntityTypes.Grant, g.Id, g.SandboxId, new
        {
            grant_id = g.Id,
            preview_id = g.PreviewId,
            port = g.Port,
            share = g.Share,
            expires_at = g.ExpiresAt,
            user,
        }));

    [LoggerMessage(EventId = 1800, Level = LogLevel.Information, Message = "Grant {GrantId} for sandbox {SandboxId} port {Port} made by {User} (share: {Share}, until {ExpiresAt})")]
    private static partial void LogCreated(ILogger logger, string grantId, string sandboxId, int port, string user, bool share, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 1801, Level = LogLevel.Information, Message = "Grant {GrantId} for sandbox {SandboxId} port {Port} revoked by {User}")]
    private static partial void LogRevoked(ILogger logger, string grantId, string sandboxId, int port, string user);
}
