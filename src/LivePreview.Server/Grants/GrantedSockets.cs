using System.Collections.Concurrent;
using LivePreview.Persistence;
using Microsoft.EntityFrameworkCore;

namespace LivePreview.Grants;

/// <summary>
/// The WebSockets (HMR) this instance forwards on a grant: each is aborted when its grant ends, so a revoked or expired
/// holder stops receiving the dev server's updates (file paths, error overlays with source) too, not only new requests.
/// A socket on a non-share grant lives on while its user holds another live non-share grant for the same sandbox and
/// port (the dashboard renews its grant before it ends; its frame's socket must not drop, or Vite reloads the page).
/// A revocation on another instance sharing the database ends this instance's sockets at the grant's expiry.
/// </summary>
public sealed partial class GrantedSockets(IDbContextFactory<LivePreviewDbContext> db, TimeProvider time, ILogger<GrantedSockets> logger)
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<HttpContext, byte>> _byGrant = new(StringComparer.Ordinal);

    public void Track(HttpContext context, PreviewGrantRecord grant)
    {
        var sockets = _byGrant.GetOrAdd(grant.Id, _ => new());
        sockets[context] = 0;
        var left = grant.ExpiresAt - time.GetUtcNow();
        var expiry = time.CreateTimer(_ => _ = ExpiredAsync(context, grant), null, left > TimeSpan.Zero ? left : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        context.Response.RegisterForDispose(expiry);
        context.Response.OnCompleted(() =>
        {
            Forget(grant.Id, context);
            return Task.CompletedTask;
        });
    }

    public void Close(string grantId)
    {
        if (_byGrant.TryRemove(grantId, out var sockets))
        {
            foreach (var context in sockets.Keys)
            {
                Abort(context);
            }
        }
    }

    private async Task ExpiredAsync(HttpContext context, PreviewGrantRecord grant)
    {
        if (!Forget(grant.Id, context))
        {
            return;
        }
        try
        {
            var now = time.GetUtcNow();
            await using var database = await db.CreateDbContextAsync(CancellationToken.None);
            var successor = grant.Share ? null : await database.PreviewGrants.AsNoTracking()
                .Where(g => g.SandboxId == grant.SandboxId && g.Port == grant.Port && g.User == grant.User && !g.Share && g.RevokedAt == null && g.ExpiresAt > now)
                .OrderByDescending(g => g.ExpiresAt).FirstOrDefaultAsync(CancellationToken.None);
            if (successor is not null && !context.RequestAborted.IsCancellationRequested)
            {
                Track(context, successor);
                return;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogSuccessorFailed(logger, ex, grant.Id);
        }
        Abort(context);
    }

    /// <summary>
    /// Ends the socket's request. One that ended meanwhile (its client closed it; Kestrel disposed the context before the
    /// completion callback forgot it) has nothing left to abort: revoking its grant must not fail on it.
    /// </summary>
    private static void Abort(HttpContext context)
    {
        try
        {
            context.Abort();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>False when the socket was no longer tracked under this grant (closed, revoked, or already moved on).</summary>
    private bool Forget(string grantId, HttpContext context)
    {
        if (!_byGrant.TryGetValue(grantId, out var sockets) || !sockets.TryRemove(context, out _))
        {
            return false;
        }
        if (sockets.IsEmpty)
        {
            _byGrant.TryRemove(KeyValuePair.Create(grantId, sockets));
        }
        return true;
    }

    [LoggerMessage(EventId = 1820, Level = LogLevel.Warning, Message = "Looking for a successor of grant {GrantId} for an open socket failed; the socket is closed")]
    private static partial void LogSuccessorFailed(ILogger logger, Exception ex, string grantId);
}
