using LivePreview.Events;
using LivePreview.RateLimits;

namespace LivePreview.Auth;

/// <summary>
/// Security events an admin can stream: published on the event bus with no sandbox (entity <c>key</c> or <c>user</c>).
/// Payloads name keys by id, never the key or its hash. Refusals (rate limited, sign-in refused, cross-origin refused) are
/// coalesced — one event per subject and window, carrying how many were left out before it — and those anonymous callers
/// can cause also share a cap per minute, so nobody can flood the event store through them.
/// </summary>
public sealed partial class Audit(IEventBus events, TimeProvider time, ILogger<Audit> logger)
{
    /// <summary>Anonymous refusals (sign-in, cross-origin) reported per minute at most, over all addresses and origins.</summary>
    public const int MaxAnonymousRefusalsPerMinute = 60;

    private static readonly TimeSpan RefusalWindow = TimeSpan.FromMinutes(1);
    private readonly AuditCoalescer _coalescer = new(time, MaxAnonymousRefusalsPerMinute, () => LogAnonymousCapReached(logger, MaxAnonymousRefusalsPerMinute));

    public Task KeyCreatedAsync(ApiKeyRecord key, string by, CancellationToken ct) =>
        PublishAsync(EventTypes.KeyCreated, EntityTypes.Key, key.Id, new { key_id = key.Id, user = key.User, name = key.Name, admin = key.IsAdmin, by }, ct);

    public Task KeyRevokedAsync(ApiKeyRecord key, string by, CancellationToken ct) =>
        PublishAsync(EventTypes.KeyRevoked, EntityTypes.Key, key.Id, new { key_id = key.Id, user = key.User, name = key.Name, admin = key.IsAdmin, by }, ct);

    /// <summary>A request refused by a rate limit; one event per user and limit per window of that limit.</summary>
    public async Task RateLimitedAsync(RateLimitRefusal refusal, string method, string path)
    {
        if (!_coalescer.TryReport($"rate|{refusal.Limit}|{refusal.User}", refusal.Setting.Window, anonymous: false, out var suppressed))
        {
            return;
        }
        LogRateLimited(logger, refusal.SettingName, method, Bounded(path), refusal.User, refusal.RetryAfterSeconds);
        await TryPublishAsync(EventTypes.RateLimited, EntityTypes.User, refusal.User, new
        {
            user = refusal.User,
            limit = refusal.Limit.ToString(),
            setting = refusal.SettingName,
            method,
            path = Bounded(path),
            retry_after_seconds = refusal.RetryAfterSeconds,
            suppressed_before = suppressed,
        });
    }

    /// <summary>A sign-in at <c>/login</c> with an unknown or revoked key, or a used or expired login link; coalesced per address.</summary>
    public async Task SignInRefusedAsync(string reason, ApiKeyRecord? key, string? remoteAddress)
    {
        var address = remoteAddress ?? "unknown";
        if (!_coalescer.TryReport($"signin|{address}", RefusalWindow, anonymous: true, out var suppressed))
        {
            return;
        }
        LogSignInRefused(logger, address, reason);
        await TryPublishAsync(EventTypes.SignInRefused, EntityTypes.User, key?.User ?? "unknown",
            new { reason, user = key?.User, key_id = key?.Id, remote_address = address, suppressed_before = suppressed });
    }

    /// <summary>A WebSocket or cookie-authenticated state change from another origin (<see cref="DashboardOriginCheck"/>); coalesced per user and origin.</summary>
    public async Task OriginRefusedAsync(string? user, string origin, string method, string path, bool webSocket)
    {
        origin = Bounded(origin);
        if (!_coalescer.TryReport($"origin|{user}|{origin}", RefusalWindow, anonymous: user is null, out var suppressed))
        {
            return;
        }
        LogOriginRefused(logger, origin, user ?? "(signing in)", method, Bounded(path));
        await TryPublishAsync(EventTypes.OriginRefused, EntityTypes.User, user ?? "unknown",
            new { user, origin, method, path = Bounded(path), websocket = webSocket, suppressed_before = suppressed });
    }

    /// <summary>Publishes an audit event now, not coalesced (for events a caller cannot repeat at will, like a grant issued).</summary>
    public Task PublishAsync(string type, string entityType, string entityId, object payload, CancellationToken ct) =>
        events.PublishAsync(new EventDraft(type, entityType, entityId, SandboxId: null, payload), ct);

    /// <summary>A refusal's answer does not wait on, or fail with, its report.</summary>
    private async Task TryPublishAsync(string type, string entityType, string entityId, object payload)
    {
        try
        {
            await PublishAsync(type, entityType, entityId, payload, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogPublishFailed(logger, ex, type);
        }
    }

    /// <summary>Header and path text is the caller's: bounded, without control characters.</summary>
    private static string Bounded(string text)
    {
        var clean = new string([.. text.Take(200).Select(c => char.IsControl(c) ? '?' : c)]);
        return text.Length > 200 ? clean + "…" : clean;
    }

    [LoggerMessage(EventId = 1760, Level = LogLevel.Warning, Message = "Rate limit {Setting} refused {Method} {Path} for user {User} (retry after {RetryAfterSeconds} s); further refusals in this window are counted, not reported")]
    private static partial void LogRateLimited(ILogger logger, string setting, string method, string path, string user, int retryAfterSeconds);

    [LoggerMessage(EventId = 1761, Level = LogLevel.Warning, Message = "Sign-in from {RemoteAddress} refused: {Reason}")]
    private static partial void LogSignInRefused(ILogger logger, string remoteAddress, string reason);

    [LoggerMessage(EventId = 1762, Level = LogLevel.Warning, Message = "Request from origin {Origin} refused for {User}: {Method} {Path}")]
    private static partial void LogOriginRefused(ILogger logger, string origin, string user, string method, string path);

    [LoggerMessage(EventId = 1763, Level = LogLevel.Error, Message = "Could not publish the audit event {Type}")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, string type);

    [LoggerMessage(EventId = 1764, Level = LogLevel.Warning, Message = "More than {Max} anonymous refusals within a minute; further ones this minute are not reported")]
    internal static partial void LogAnonymousCapReached(ILogger logger, int max);
}
