using System.Collections.Concurrent;
using LivePreview.Persistence;
using Microsoft.EntityFrameworkCore;

namespace LivePreview.Gateway;

/// <summary>
/// Whether a provider sandbox is one of the service's sandboxes (it has a row in <c>sandboxes</c>): only those get the
/// gateway and registry egress. Snapshot builds run in sandboxes of their own with an environment of npm settings
/// only (<see cref="Snapshots.NpmCi"/>), and no token of theirs would be valid anyway.
/// Every process launch asks (once per environment): a sandbox found is remembered until its environments are
/// released (stop, delete), so the database is asked once per sandbox start, not per command or terminal.
/// </summary>
internal sealed class ServiceSandboxes(IDbContextFactory<LivePreviewDbContext> dbFactory)
{
    private readonly ConcurrentDictionary<string, bool> _known = new(StringComparer.Ordinal);

    public async Task<bool> ExistsAsync(string sandboxId, CancellationToken cancellationToken)
    {
        if (_known.ContainsKey(sandboxId))
        {
            return true;
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var exists = await db.Sandboxes.AnyAsync(s => s.Id == sandboxId, cancellationToken);
        if (exists)
        {
            _known[sandboxId] = true;
        }
        return exists;
    }

    /// <summary>The sandbox stopped or is gone: the next launch asks the database again.</summary>
    public void Forget(string sandboxId) => _known.TryRemove(sandboxId, out _);
}
