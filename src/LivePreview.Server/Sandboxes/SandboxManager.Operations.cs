using LivePreview.Events;
using LivePreview.Frameworks;
using LivePreview.Persistence;
using Microsoft.EntityFrameworkCore;

namespace LivePreview.Sandboxes;

public sealed partial class SandboxManager
{
    public async Task<SandboxSnapshot?> StopAsync(string id, CancellationToken cancellationToken)
    {
        using var held = await LockAsync(id, cancellationToken);
        var sandbox = await GetAsync(id, cancellationToken);
        if (sandbox is null || sandbox.Status is SandboxStatus.Stopped)
        {
            return sandbox;
        }
        await previews.StopSandboxAsync(id, cancellationToken);
        await NotifyStoppingAsync(id, deleting: false, cancellationToken);
        await provider.StopAsync(id, cancellationToken);
        var record = await UpdateAsync(id, r => r.Status = SandboxStatus.Stopped);
        await PublishAsync(EventTypes.SandboxStopped, record!);
        return SandboxSnapshot.From(record!);
    }

    public async Task<SandboxSnapshot?> StartAsync(string id, CancellationToken cancellationToken)
    {
        using (var held = await LockAsync(id, cancellationToken))
        {
            var sandbox = await GetAsync(id, cancellationToken);
            if (sandbox is null || sandbox.Status != SandboxStatus.Stopped)
            {
                return sandbox is null || sandbox.Status == SandboxStatus.Running ? sandbox
                    : throw new SandboxStateException($"Sandbox '{id}' is {sandbox.Status.ToString().ToLowerInvariant()}; only a stopped sandbox can be started.");
            }
            await ResumeAsync(id, cancellationToken);
        }
        return await GetAsync(id, cancellationToken);
    }

    private async Task NotifyStoppingAsync(string id, bool deleting, CancellationToken cancellationToken)
    {
        foreach (var hook in stopHooks)
        {
            await hook.SandboxStoppingAsync(id, deleting, cancellationToken);
        }
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        using var held = await LockAsync(id, cancellationToken);
        var sandbox = await GetAsync(id, cancellationToken);
        if (sandbox is null)
        {
            return false;
        }
        await previews.ForgetSandboxAsync(id, cancellationToken);
        await NotifyStoppingAsync(id, deleting: true, cancellationToken);
        await provider.DeleteAsync(id, cancellationToken);
        if (sandbox.Repository is not null)
        {
            // After the provider: the checkout is the overlay's lower layer until the overlay is gone.
            repositories.Cloner.Delete(id);
        }
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            await db.Sandboxes.Where(s => s.Id == id).ExecuteDeleteAsync(cancellationToken);
        }
        await events.PublishAsync(new EventDraft(EventTypes.SandboxDeleted, "sandbox", id, id, new { sandbox_id = id }), CancellationToken.None);
        return true;
    }

    /// <summary>
    /// Makes the database and what really runs agree after a start-up: sandboxes that were running
    /// are attached again and their previews restarted; provisioning cut short resumes; workspaces
    /// the database does not know are removed.
    /// </summary>
    public async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var known = await ListLocalAsync(cancellationToken);
        foreach (var orphan in (await provider.ListAsync(cancellationToken)).Except(known.Select(s => s.Id)))
        {
            LogOrphan(logger, orphan);
            await provider.DeleteAsync(orphan, cancellationToken);
        }
        foreach (var sandbox in known)
        {
            FrameworkCatalog.TryGet(sandbox.Framework, out var framework);
            if (sandbox.Status == SandboxStatus.Creating && sandbox.Repository is not null)
            {
                background.Run($"provision {sandbox.Id}", ct => ProvisionRepositoryAsync(sandbox.Id, ct));
            }
            else if (sandbox.Status == SandboxStatus.Creating)
            {
                background.Run($"provision {sandbox.Id}", ct => ProvisionAsync(sandbox.Id, framework, ct));
            }
            else if (sandbox.Status is SandboxStatus.Running or SandboxStatus.Lost)
            {
                background.Run($"resume {sandbox.Id}", async ct =>
                {
                    using var held = await LockAsync(sandbox.Id, ct);
                    await ResumeAsync(sandbox.Id, ct);
                });
            }
        }
    }

    /// <summary>Attaches the provider's sandbox again and restarts the previews that should run.</summary>
    private async Task ResumeAsync(string id, CancellationToken cancellationToken)
    {
        var sandbox = await GetAsync(id, cancellationToken);
        if (sandbox?.Repository is not null)
        {
            await ResumeRepositoryAsync(sandbox, cancellationToken);
            return;
        }
        if (sandbox?.SnapshotId is null || !FrameworkCatalog.TryGet(sandbox.Framework, out var framework))
        {
            return;
        }
        // A sandbox stays on the snapshot it was made from (its overlay's lower layer): no build here.
        var snapshotDirectory = snapshots.DirectoryOf(sandbox.SnapshotId);
        if (snapshotDirectory is null || !await provider.AttachAsync(new SandboxSpec(id, snapshotDirectory), cancellationToken))
        {
            var failed = await UpdateAsync(id, r => { r.Status = SandboxStatus.Error; r.Error = snapshotDirectory is null
                ? $"The sandbox's snapshot {sandbox.SnapshotId} is gone." : "The sandbox's workspace is gone."; });
            await PublishAsync(EventTypes.SandboxFailed, failed!, new { error = failed!.Error });
            return;
        }
        var wasStopped = sandbox.Status == SandboxStatus.Stopped;
        // Lost: its instance came back (this one, restarted): it runs again, and says so.
        var wasLost = sandbox.Status == SandboxStatus.Lost;
        var record = await UpdateAsync(id, r => { r.Status = SandboxStatus.Running; r.Error = wasLost ? null : r.Error; });
        if (wasStopped || wasLost)
        {
            await PublishAsync(EventTypes.SandboxCreated, record!, new { resumed = true });
        }
        var toStart = previews.ForSandbox(id).Where(p => wasStopped || p.Status != PreviewStatus.Stopped).Select(p => p.Port).ToList();
        if (toStart.Count == 0 && options.Value.AutoStartPreview)
        {
            toStart.Add(framework.DefaultPort);
        }
        foreach (var port in toStart)
        {
            await previews.EnsureAsync(id, framework, port, cancellationToken);
        }
    }

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "Removing sandbox {SandboxId}: the provider holds it but the database does not")]
    private static partial void LogOrphan(ILogger logger, string sandboxId);
}
