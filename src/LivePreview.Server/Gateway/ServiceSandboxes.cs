using LivePreview.Persistence;
using Microsoft.EntityFrameworkCore;

namespace LivePreview.Gateway;

/// <summary>
/// Whether a provider sandbox is one of the service's sandboxes (it has a row in <c>sandboxes</c>): only those get the
/// gateway and registry egress. Snapshot builds run in sandboxes of their own with an environment of npm settings
/// only (<see cref="Snapshots.NpmCi"/>), and no token of theirs would be valid anyway.
/// </summary>
internal sealed class ServiceSandboxes(IDbContextFactory<LivePreviewDbContext> dbFactory)
{
    public async Task<bool> ExistsAsync(string sandboxId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Sandboxes.AnyAsync(s => s.Id == sandboxId, cancellationToken);
    }
}
