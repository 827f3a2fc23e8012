using System.Text.Json;
using LivePreview.Events;
using LivePreview.Persistence;
using LivePreview.Prototypes.Screenshots;
using LivePreview.Sandboxes;
using Microsoft.EntityFrameworkCore;

namespace LivePreview.Prototypes;

/// <summary>Checkpoints: a git commit in the sandbox for the start, every prompt and every restore, recorded in the database.</summary>
public sealed class PrototypeCheckpoints(
    IDbContextFactory<LivePreviewDbContext> dbFactory,
    SandboxGit git,
    ISandboxProvider provider,
    IEventBus events,
    CheckpointScreenshots screenshots,
    TimeProvider time)
{
    /// <summary>The checkpoint as the API and the dashboard show it, with its screenshot's address when it has one.</summary>
    public CheckpointView View(CheckpointRecord checkpoint) => CheckpointView.From(checkpoint, screenshots.UrlFor(checkpoint.SessionId, checkpoint.Id));

    public async Task<CheckpointRecord?> FindAsync(string sessionId, string checkpointId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Checkpoints.AsNoTracking().FirstOrDefaultAsync(c => c.Id == checkpointId && c.SessionId == sessionId, ct);
    }

    public async Task<IReadOnlyList<CheckpointRecord>> ListAsync(string sessionId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var list = await db.Checkpoints.AsNoTracking().Where(c => c.SessionId == sessionId).ToListAsync(ct);
        return list.OrderBy(c => c.CreatedAt).ToList();
    }

    public async Task EnsureInitialAsync(PrototypeSessionRecord session, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Checkpoints.AnyAsync(c => c.SessionId == session.Id, ct))
        {
            return;
        }
        await git.EnsureRepositoryAsync(session.SandboxId, ct);
        var commit = await git.CommitAllAsync(session.SandboxId, $"Start from the {session.Framework} template", allowEmpty: true, ct);
        await RecordAsync(session, commit!, "initial", null, $"Start from the {session.Framework} template", ct);
    }

    /// <summary>Commits what the turn changed; null if it changed nothing.</summary>
    public async Task<CheckpointRecord?> CommitTurnAsync(PrototypeSessionRecord session, string turnId, string prompt, CancellationToken ct)
    {
        var message = prompt.Length <= 4000 ? prompt : prompt[..4000] + "…";
        var commit = await git.CommitAllAsync(session.SandboxId, message, allowEmpty: false, CancellationToken.None);
        return commit is null ? null : await RecordAsync(session, commit, "prompt", turnId, message, ct);
    }

    /// <summary>Restores the workspace to a checkpoint as a new checkpoint (history is kept); the dev server hot-updates from the file changes.</summary>
    public async Task<CheckpointRecord?> RestoreAsync(PrototypeSessionRecord session, string checkpointId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var target = await db.Checkpoints.AsNoTracking().FirstOrDefaultAsync(c => c.Id == checkpointId && c.SessionId == session.Id, ct);
        if (target is null)
        {
            return null;
        }
        var changed = await git.RestoreTreeAsync(session.SandboxId, target.Sha, ct);
        var message = $"Restore checkpoint {target.Id}: {target.Message}";
        var commit = await git.CommitAllAsync(session.SandboxId, message, allowEmpty: true, ct);
        var record = await RecordAsync(session, commit!, "restore", null, message, ct);
        foreach (var (path, removed) in changed)
        {
            await events.PublishAsync(new EventDraft(removed ? EventTypes.FileDeleted : EventTypes.FileChanged, "file", path, session.SandboxId,
                new { path, source = "restore" }), CancellationToken.None);
        }
        await events.PublishAsync(new EventDraft(EventTypes.CheckpointRestored, "prototype", session.Id, session.SandboxId,
            new { checkpoint_id = target.Id, new_checkpoint_id = record.Id, files = changed.Select(c => c.Path) }), CancellationToken.None);
        return record;
    }

    /// <summary>The workspace's history as a git bundle, read out of the sandbox.</summary>
    public async Task<Stream> BundleAsync(PrototypeSessionRecord session, CancellationToken ct)
    {
        await git.CreateBundleAsync(session.SandboxId, ct);
        return await provider.Files(session.SandboxId).OpenReadAsync(SandboxGit.ExportBundle, ct)
            ?? throw new GitException("git bundle wrote nothing.");
    }

    private async Task<CheckpointRecord> RecordAsync(PrototypeSessionRecord session, GitCommit commit, string kind, string? turnId, string message, CancellationToken ct)
    {
        var record = new CheckpointRecord
        {
            Id = "cp" + SandboxId.New()[..10], SessionId = session.Id, Sha = commit.Sha, Message = message, Kind = kind, TurnId = turnId,
            FilesJson = JsonSerializer.Serialize(commit.Files), CreatedAt = time.GetUtcNow(),
        };
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        db.Checkpoints.Add(record);
        await db.SaveChangesAsync(CancellationToken.None);
        await events.PublishAsync(new EventDraft(EventTypes.CheckpointCreated, "prototype", session.Id, session.SandboxId,
            new { checkpoint_id = record.Id, sha = record.Sha, kind, message, files = commit.Files }), CancellationToken.None);
        screenshots.Schedule(session, record);
        return record;
    }
}
