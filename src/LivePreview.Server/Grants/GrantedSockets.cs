using System.Collections.Concurrent;

namespace LivePreview.Grants;

/// <summary>
/// The WebSockets (HMR) this instance forwards on a grant: each is aborted when its grant expires or is revoked here,
/// so a revoked holder stops receiving the dev server's updates (file paths, error overlays with source) too, not only
/// new requests. A revocation on another instance sharing the database ends that instance's sockets at expiry.
/// </summary>
public sealed class GrantedSockets(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<HttpContext, byte>> _byGrant = new(StringComparer.Ordinal);

    public void Track(HttpContext context, PreviewGrantRecord grant)
    {
        var sockets = _byGrant.GetOrAdd(grant.Id, _ => new());
        sockets[context] = 0;
        var left = grant.ExpiresAt - time.GetUtcNow();
        var expiry = time.CreateTimer(_ => context.Abort(), null, left > TimeSpan.Zero ? left : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        context.Response.RegisterForDispose(expiry);
        context.Response.OnCompleted(() =>
        {
            sockets.TryRemove(context, out _);
            if (sockets.IsEmpty)
            {
                _byGrant.TryRemove(KeyValuePair.Create(grant.Id, sockets));
            }
            return Task.CompletedTask;
        });
    }

    public void Close(string grantId)
    {
        if (_byGrant.TryRemove(grantId, out var sockets))
        {
            foreach (var context in sockets.Keys)
            {
                context.Abort();
            }
        }
    }
}
