using System.Security.Claims;
using LivePreview.Auth;
using LivePreview.Frameworks;
using LivePreview.Persistence;
using Microsoft.EntityFrameworkCore;

namespace LivePreview.Sandboxes;

/// <summary>
/// The one place that answers "may this principal see sandbox X": everything a user reaches through a
/// sandbox (its files, previews, sessions, events) asks here. Someone else's sandbox is null, exactly like
/// an unknown id, so callers answer both with the same 404 and never reveal that it exists.
/// </summary>
public sealed partial class SandboxManager
{
    /// <summary>The sandbox when <paramref name="user"/> owns it (admins: any); null when it is unknown or someone else's.</summary>
    public async Task<SandboxSnapshot?> FindVisibleAsync(string id, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        // Not even looked up unless it could be an id: a request's text (a NUL, say) reaches no query.
        var sandbox = SandboxId.IsValid(id) ? await GetAsync(id, cancellationToken) : null;
        return sandbox is not null && user.Owns(sandbox.Owner) ? sandbox : null;
    }

    /// <summary>A preview belongs to its sandbox's owner: the preview when <paramref name="user"/> may see its sandbox; null when it is unknown or someone else's.</summary>
    public async Task<Previews.PreviewSnapshot?> FindVisiblePreviewAsync(string previewId, ClaimsPrincipal user, CancellationToken cancellationToken) =>
        previews.Get(previewId) is { } preview && await FindVisibleAsync(preview.SandboxId, user, cancellationToken) is not null ? preview : null;

    /// <summary>Like <see cref="FindVisibleAsync"/>, throwing the unknown-id 404 (<see cref="SandboxNotFoundException"/>) instead of null.</summary>
    public async Task<SandboxSnapshot> RequireVisibleAsync(string id, ClaimsPrincipal user, CancellationToken cancellationToken) =>
        await FindVisibleAsync(id, user, cancellationToken) ?? throw new SandboxNotFoundException(id);

    /// <summary>The user's own sandboxes, newest first (admins: all, pool members included).</summary>
    public async Task<IReadOnlyList<SandboxSnapshot>> ListVisibleAsync(ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.IsAdmin())
        {
            return await ListAllAsync(cancellationToken);
        }
        var owner = user.RequireUserId();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var records = await db.Sandboxes.AsNoTracking().Where(s => s.Owner == owner).ToListAsync(cancellationToken);
        return records.OrderByDescending(r => r.CreatedAt).Select(SandboxSnapshot.From).ToList();
    }

    /// <summary>The most sandboxes <paramref name="user"/> may hold: <see cref="QuotaOptions.MaxSandboxesPerUser"/>, or no per-user limit for admins.</summary>
    public int QuotaFor(ClaimsPrincipal user) => user.IsAdmin() ? int.MaxValue : quotas.Value.MaxSandboxesPerUser;

    /// <summary>Which limit refused an insert (asked after the fact, for the message only: the insert itself was atomic).</summary>
    private async Task<Exception> RefusalAsync(string? owner, int perUserLimit, CancellationToken cancellationToken)
    {
        if (owner is not null && perUserLimit != int.MaxValue)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            if (await db.Sandboxes.CountAsync(s => s.Owner == owner && s.Status != SandboxStatus.Deleted, cancellationToken) >= perUserLimit)
            {
                return new SandboxQuotaException(perUserLimit);
            }
        }
        return new SandboxLimitException(options.Value.MaxSandboxes);
    }
}
