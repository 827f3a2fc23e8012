using System.Text.RegularExpressions;
using LivePreview.Events;
using LivePreview.Frameworks;
using LivePreview.Grants;
using LivePreview.Hosting;
using LivePreview.Persistence;
using LivePreview.Previews;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LivePreview.Prototypes.Screenshots;

/// <summary>
/// A PNG of the preview for each prompt and restore checkpoint, best effort: taken in the background once the
/// preview is ready and the hot update had time to land, through our own proxy on a grant of its own (this sandbox
/// and port, living as long as the screenshot may take, revoked right after), kept under the data directory by
/// checkpoint id (never in the sandbox). Every outcome is a CHECKPOINT_SCREENSHOT event; a failure is logged and the
/// checkpoint stays as it is.
/// </summary>
public sealed partial class CheckpointScreenshots(
    ChromiumScreenshotter chromium,
    PreviewManager previews,
    PreviewGrants grants,
    IEventBus events,
    BackgroundWork background,
    IDbContextFactory<LivePreviewDbContext> dbFactory,
    IOptions<ScreenshotOptions> options,
    IOptions<LivePreviewOptions> service,
    TimeProvider time,
    ILogger<CheckpointScreenshots> logger)
{
    private int _unavailableLogged;

    /// <summary>The checkpoint kinds that get a screenshot: the initial one is made as the first prompt starts editing.</summary>
    public static bool Wanted(string kind) => kind is "prompt" or "restore";

    public void Schedule(PrototypeSessionRecord session, CheckpointRecord checkpoint)
    {
        if (!options.Value.Enabled || !Wanted(checkpoint.Kind))
        {
            return;
        }
        background.Run($"screenshot {checkpoint.Id}", shutdown => TakeAsync(session, checkpoint, shutdown));
    }

    /// <summary>The stored PNG of a checkpoint; null when it has none (or the ids are not ours).</summary>
    public string? Find(string sessionId, string checkpointId)
    {
        var path = PathFor(sessionId, checkpointId);
        return path is not null && File.Exists(path) ? path : null;
    }

    /// <summary>The API address of a checkpoint's screenshot when it has one.</summary>
    public string? UrlFor(string sessionId, string checkpointId) =>
        Find(sessionId, checkpointId) is null ? null : $"/api/v1/prototype/session/{sessionId}/checkpoints/{checkpointId}/screenshot";

    /// <summary>Removes a session's screenshots (its session ended).</summary>
    public void Forget(string sessionId)
    {
        if (Id().IsMatch(sessionId) && Directory.Exists(Path.Join(Root, sessionId)))
        {
            Directory.Delete(Path.Join(Root, sessionId), recursive: true);
        }
    }

    private async Task TakeAsync(PrototypeSessionRecord session, CheckpointRecord checkpoint, CancellationToken ct)
    {
        ScreenshotResult result;
        try
        {
            result = await CaptureAsync(session, ct);
            if (result.Png is { } png)
            {
                result = await LiveAsync(session.Id, ct) ? result : ScreenshotResult.Failed("the session ended before the screenshot was stored");
                if (result.Png is not null)
                {
                    await StoreAsync(session.Id, checkpoint.Id, png, ct);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(logger, ex, checkpoint.Id);
            result = ScreenshotResult.Failed(ex.Message);
        }
        if (result.Error is not null)
        {
            LogNotTaken(logger, checkpoint.Id, session.SandboxId, result.Error);
        }
        var status = result.Png is not null ? "taken" : chromium.Unavailable() is null ? "failed" : "unavailable";
        await events.PublishAsync(new EventDraft(EventTypes.CheckpointScreenshot, "prototype", session.Id, session.SandboxId, new
        {
            checkpoint_id = checkpoint.Id, status, width = result.Width, height = result.Height, bytes = result.Png?.Length ?? 0,
            url = result.Png is null ? null : UrlFor(session.Id, checkpoint.Id), error = result.Error,
        }), CancellationToken.None);
    }

    private async Task<ScreenshotResult> CaptureAsync(PrototypeSessionRecord session, CancellationToken ct)
    {
        if (chromium.Unavailable() is { } reason)
        {
            if (Interlocked.Exchange(ref _unavailableLogged, 1) == 0)
            {
                LogUnavailable(logger, reason);
            }
            return ScreenshotResult.Failed(reason);
        }
        var o = options.Value;
        await Task.Delay(o.SettleDelay, time, ct);
        FrameworkCatalog.TryGet(session.Framework, out var framework);
        var target = new PreviewTarget(session.SandboxId, framework.DefaultPort);
        if (await ReadyAsync(target, o.Timeout, ct) is not { } preview)
        {
            return ScreenshotResult.Failed("the preview was not ready");
        }
        // The grant lives as long as a capture may wait for its turn and take; it is revoked as soon as it is done.
        var grant = await grants.CreateAsync(preview, session.Owner ?? "livepreview", share: false, 2 * o.Timeout + TimeSpan.FromSeconds(30), ct);
        try
        {
            return await chromium.CaptureAsync(new Uri(grant.Url), ct);
        }
        finally
        {
            await grants.RevokeAsync(target, grant.Record.Id, grant.Record.User, CancellationToken.None);
        }
    }

    private async Task<PreviewSnapshot?> ReadyAsync(PreviewTarget target, TimeSpan timeout, CancellationToken ct)
    {
        var until = time.GetUtcNow() + timeout;
        for (; ; )
        {
            switch (previews.Find(target))
            {
                case { Status: PreviewStatus.Ready } ready:
                    return ready;
                case null or { Status: PreviewStatus.Error or PreviewStatus.Stopped }:
                    return null;
            }
            if (time.GetUtcNow() >= until)
            {
                return null;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250), time, ct);
        }
    }

    /// <summary>A session ended while its screenshot was taken has had its folder removed: nothing is written back.</summary>
    private async Task<bool> LiveAsync(string sessionId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.PrototypeSessions.AnyAsync(s => s.Id == sessionId && s.EndedAt == null, ct);
    }

    private async Task StoreAsync(string sessionId, string checkpointId, byte[] png, CancellationToken ct)
    {
        var path = PathFor(sessionId, checkpointId) ?? throw new InvalidOperationException($"'{sessionId}/{checkpointId}' is not a checkpoint id.");
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Screenshots need Linux.");
        }
        Directory.CreateDirectory(Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var temporary = path + ".tmp";
        await File.WriteAllBytesAsync(temporary, png, ct);
        File.Move(temporary, path, overwrite: true);
    }

    private string Root => Path.GetFullPath(options.Value.Directory ?? Path.Join(service.Value.ResolveDataDirectory(), "screenshots"));

    /// <summary>Ids are ours ("ps…", "cp…", lower-case letters and digits); anything else (path text from a request) has no file.</summary>
    private string? PathFor(string sessionId, string checkpointId) =>
        Id().IsMatch(sessionId) && Id().IsMatch(checkpointId) ? Path.Join(Root, sessionId, checkpointId + ".png") : null;

    [GeneratedRegex("^[a-z0-9]{4,40}$")]
    private static partial Regex Id();

    [LoggerMessage(EventId = 2300, Level = LogLevel.Information, Message = "Checkpoint screenshots are unavailable: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 2302, Level = LogLevel.Warning, Message = "No screenshot of checkpoint {CheckpointId} (sandbox {SandboxId}): {Reason}")]
    private static partial void LogNotTaken(ILogger logger, string checkpointId, string sandboxId, string reason);

    [LoggerMessage(EventId = 2303, Level = LogLevel.Error, Message = "Taking the screenshot of checkpoint {CheckpointId} failed")]
    private static partial void LogFailed(ILogger logger, Exception ex, string checkpointId);
}
