using System.Security.Claims;
using LivePreview.Auth;
using LivePreview.Events;
using LivePreview.Persistence;
using LivePreview.Previews;
using LivePreview.Repositories;
using LivePreview.Repositories.Detection;
using Microsoft.EntityFrameworkCore;

namespace LivePreview.Sandboxes;

/// <summary>
/// Sandboxes made from a repository: remote policy → clone → detection, answered in the request (a bad remote is a 400,
/// a repository without an app a 422, and neither leaves a sandbox behind); then in the background dependency layer →
/// provider (lowerdir = checkout : layer) → dev server from the profile's plan. The sandbox stays creating until its dev
/// server has been started.
/// </summary>
public sealed partial class SandboxManager
{
    /// <summary>At most this many install lines a second become events (each is persisted); every line still reaches the log.</summary>
    private static readonly TimeSpan MinProgressEventInterval = TimeSpan.FromMilliseconds(500);

    public async Task<SandboxSnapshot> CreateFromRepositoryAsync(RepositoryRequest request, AppOverrides? overrides, ClaimsPrincipal user, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(user);
        return await CreateFromRepositoryAsync(request, overrides, user.RequireUserId(), QuotaFor(user), ct);
    }

    /// <summary>The same create for a user who is not the caller (the task worker acts for a task's owner), under the per-user quota.</summary>
    public Task<SandboxSnapshot> CreateFromRepositoryAsync(RepositoryRequest request, AppOverrides? overrides, string owner, CancellationToken ct) =>
        CreateFromRepositoryAsync(request, overrides, owner, quotas.Value.MaxSandboxesPerUser, ct);

    private async Task<SandboxSnapshot> CreateFromRepositoryAsync(RepositoryRequest request, AppOverrides? overrides, string owner, int quota, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        // The branch first: a local check, so a request refused for its branch never makes the host resolve the remote.
        if (request.Branch is not null && !await repositories.Git.IsValidBranchAsync(request.Branch, ct))
        {
            throw new RepositoryException(400, $"'{request.Branch}' is not a valid branch name (see git check-ref-format); leave \"branch\" out for the remote's default branch.");
        }
        var remote = await repositories.Policy.CheckAsync(request.Url, ct);
        await provider.EnsureAvailableAsync(ct);
        foreach (var admission in admissions)
        {
            admission.EnsureRoomForOneMore();
        }
        var id = SandboxId.New();
        var now = time.GetUtcNow();
        var record = new SandboxRecord { Id = id, Framework = "repository", Provider = provider.Name, Owner = owner, Status = SandboxStatus.Creating, CreatedAt = now, UpdatedAt = now, InstanceId = instance.Id };
        if (!await TryInsertBelowLimitAsync(record, quota, ct))
        {
            throw await RefusalAsync(owner, quota, ct);
        }
        try
        {
            return await CloneAndDetectAsync(id, remote, request.Branch, overrides, ct);
        }
        catch
        {
            await ForgetFailedCreateAsync(id);
            throw;
        }
    }

    private async Task<SandboxSnapshot> CloneAndDetectAsync(string id, Git.GitRemote remote, string? branch, AppOverrides? overrides, CancellationToken ct)
    {
        var commit = await repositories.Cloner.CloneAsync(id, remote, branch, ct);
        var record = await UpdateAsync(id, r => { r.RepositoryUrl = remote.Url; r.RepositoryBranch = branch; r.RepositoryCommit = commit; });
        RepositoryLog.Cloned(logger, remote.Url, branch ?? "(default)", commit, id);
        await PublishAsync(EventTypes.SandboxCreating, record!);
        await PublishAsync(EventTypes.RepositoryCloned, record!, new { url = remote.Url, branch, commit });
        var profile = await repositories.Detector.DetectAsync(new DirectoryTree(repositories.Cloner.SourceDirectory(id)), overrides, ct);
        record = await UpdateAsync(id, r => { r.Framework = profile.Framework; r.AppProfile = RepositoryJson.Write(profile); });
        await PublishAsync(EventTypes.AppDetected, record!, new { profile });
        background.Run($"provision {id}", token => ProvisionRepositoryAsync(id, token));
        return SandboxSnapshot.From(record!);
    }

    /// <summary>A create refused after its row was stored: row and checkout go, as if it never was.</summary>
    private async Task ForgetFailedCreateAsync(string id)
    {
        try
        {
            repositories.Cloner.Delete(id);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            RepositoryLog.SourceNotDeleted(logger, id, e);
        }
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        await db.Sandboxes.Where(s => s.Id == id).ExecuteDeleteAsync(CancellationToken.None);
    }

    /// <summary>Dependency layer, provider, dev server; also where provisioning resumes after a restart (the checkout and profile are kept).</summary>
    private async Task ProvisionRepositoryAsync(string id, CancellationToken ct)
    {
        using var held = await LockAsync(id, ct);
        try
        {
            var sandbox = await GetAsync(id, ct);
            if (sandbox?.App is not { } profile)
            {
                throw new RepositoryException(422, "The sandbox's app profile is missing; delete it and create it again.");
            }
            var source = repositories.Cloner.SourceDirectory(id);
            var layer = await EnsureLayerAsync(id, source, profile, ct);
            await provider.CreateAsync(new SandboxSpec(id, source, [layer.Directory]), ct);
            await StartRepositoryPreviewAsync(id, source, layer.Directory, profile, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            RepositoryLog.ProvisionFailed(logger, ex, id);
            var record = await UpdateAsync(id, r => { r.Status = SandboxStatus.Error; r.Error = ex.Message; });
            if (record is not null)
            {
                await PublishAsync(EventTypes.SandboxFailed, record, new { error = ex.Message });
            }
        }
    }

    private async Task<DependencyLayer> EnsureLayerAsync(string id, string source, AppProfile profile, CancellationToken ct)
    {
        var command = repositories.Detector.InstallCommand(profile);
        var key = repositories.Layers.KeyOf(source, profile, command);
        var record = await UpdateAsync(id, r => r.DependencyLayerId = key);
        await PublishAsync(EventTypes.DependenciesInstalling, record!, new { layer = key, reused = repositories.Layers.DirectoryOf(key) is not null, command });
        var progress = new InstallProgress(time, line => background.Run($"install progress {id}",
            _ => PublishAsync(EventTypes.DependenciesProgress, record!, new { layer = key, line })));
        var started = time.GetTimestamp();
        var layer = await repositories.Layers.EnsureAsync(source, profile, command, progress, ct, repositories.Detector.InstallEnvironment(profile));
        metrics.DependenciesReady(layer.Reused, profile.PackageManager, time.GetElapsedTime(started));
        record = await UpdateAsync(id, r => { r.DependencyLayerId = layer.Id; r.DependenciesReused = layer.Reused; r.InstallMs = (long)layer.InstallTime.TotalMilliseconds; });
        await PublishAsync(EventTypes.DependenciesReady, record!, new { layer = layer.Id, reused = layer.Reused, install_ms = record!.InstallMs });
        return layer;
    }

    private async Task StartRepositoryPreviewAsync(string id, string source, string layer, AppProfile profile, CancellationToken ct)
    {
        var basePath = previews.DevServerBasePath(id, profile.Port);
        var installed = new LayeredTree(new DirectoryTree(source), new DirectoryTree(layer));
        var plan = await repositories.Detector.PlanDevServerAsync(profile, installed, basePath, ct);
        await UpdateAsync(id, r => r.DevServerPlan = RepositoryJson.Write(plan));
        if (options.Value.AutoStartPreview && profile.Frontend)
        {
            await EnsureRepositoryPreviewAsync(id, profile, plan, ct);
        }
        var record = await UpdateAsync(id, r => { r.Status = SandboxStatus.Running; r.Error = null; });
        await PublishAsync(EventTypes.SandboxCreated, record!, new { layer = record!.DependencyLayerId, commit = record.RepositoryCommit });
    }

    private async Task EnsureRepositoryPreviewAsync(string id, AppProfile profile, DevServerPlan plan, CancellationToken ct)
    {
        try
        {
            if (profile.DevTool == "next" && previews.DevServerBasePath(id, plan.Port) is not null)
            {
                throw new PreviewNotSupportedException("Next.js cannot serve under a path prefix without editing its basePath; use host mode (LivePreview:Previews:Mode=Host) with a wildcard domain.");
            }
            await previews.EnsureAsync(id, plan, ct);
        }
        catch (PreviewNotSupportedException ex)
        {
            LogNoAutoPreview(logger, id, ex.Message);
        }
    }

    /// <summary>A preview of a running sandbox's port: the template's dev server, or a repository's plan on its port (other ports are watched).</summary>
    public async Task<PreviewSnapshot> EnsurePreviewAsync(SandboxSnapshot sandbox, Frameworks.FrameworkDefinition? framework, int? port, CancellationToken ct)
    {
        if (sandbox.DevServerPlan is { } plan)
        {
            return port is null || port == plan.Port ? await previews.EnsureAsync(sandbox.Id, plan, ct) : await previews.EnsureWatchedAsync(sandbox.Id, port.Value, ct);
        }
        if (framework is null)
        {
            throw new SandboxStateException($"Sandbox '{sandbox.Id}' has no dev server plan yet; wait for SANDBOX_CREATED.");
        }
        return await previews.EnsureAsync(sandbox.Id, framework, port ?? framework.DefaultPort, ct);
    }

    /// <summary>
    /// Attach after a restart or a start: the same checkout and layer, the plan made again over them — the same command
    /// unless the preview's address changed (host ↔ path mode moves the base path the dev server is told), stored if so.
    /// </summary>
    private async Task ResumeRepositoryAsync(SandboxSnapshot sandbox, CancellationToken ct)
    {
        var source = repositories.Cloner.SourceDirectory(sandbox.Id);
        var layer = sandbox.Dependencies is { } deps ? repositories.Layers.DirectoryOf(deps.Layer) : null;
        if (layer is null || !Directory.Exists(source) || sandbox.DevServerPlan is not { } plan
            || !await provider.AttachAsync(new SandboxSpec(sandbox.Id, source, [layer]), ct))
        {
            var failed = await UpdateAsync(sandbox.Id, r => { r.Status = SandboxStatus.Error; r.Error = "The sandbox's checkout, dependency layer or workspace is gone; delete it and create it again."; });
            await PublishAsync(EventTypes.SandboxFailed, failed!, new { error = failed!.Error });
            return;
        }
        if (sandbox.App is { } profile)
        {
            try
            {
                var replanned = await repositories.Detector.PlanDevServerAsync(profile, new LayeredTree(new DirectoryTree(source), new DirectoryTree(layer)),
                    previews.DevServerBasePath(sandbox.Id, plan.Port), ct);
                if (RepositoryJson.Write(replanned) is var json && json != RepositoryJson.Write(plan))
                {
                    await UpdateAsync(sandbox.Id, r => r.DevServerPlan = json);
                    sandbox = sandbox with { DevServerPlan = replanned };
                    plan = replanned;
                }
            }
            catch (AppDetectionException ex)
            {
                RepositoryLog.ReplanFailed(logger, sandbox.Id, ex.Message);
            }
        }
        var wasStopped = sandbox.Status == SandboxStatus.Stopped;
        // Lost: its instance came back (this one, restarted): it runs again, and says so.
        var wasLost = sandbox.Status == SandboxStatus.Lost;
        var record = await UpdateAsync(sandbox.Id, r => { r.Status = SandboxStatus.Running; r.Error = wasLost ? null : r.Error; });
        if (wasStopped || wasLost)
        {
            await PublishAsync(EventTypes.SandboxCreated, record!, new { resumed = true });
        }
        var ports = previews.ForSandbox(sandbox.Id).Where(p => wasStopped || p.Status != PreviewStatus.Stopped).Select(p => p.Port).ToList();
        if (ports.Count == 0 && options.Value.AutoStartPreview && sandbox.App?.Frontend != false)
        {
            ports.Add(plan.Port);
        }
        foreach (var port in ports)
        {
            await EnsurePreviewAsync(sandbox, null, port, ct);
        }
    }

    /// <summary>Install output: every line to the log (the layer store does), at most ~2 a second to the event bus.</summary>
    private sealed class InstallProgress(TimeProvider time, Action<string> publish) : IProgress<string>
    {
        private readonly Lock _gate = new();
        private DateTimeOffset _last = DateTimeOffset.MinValue;

        public void Report(string value)
        {
            var now = time.GetUtcNow();
            lock (_gate)
            {
                if (now - _last < MinProgressEventInterval)
                {
                    return;
                }
                _last = now;
            }
            publish(value.Length > 500 ? value[..500] : value);
        }
    }
}
