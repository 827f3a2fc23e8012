namespace LivePreview.Snapshots;

/// <summary>Log messages of the snapshot feature (event ids 500–599).</summary>
internal static partial class SnapshotLog
{
    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "Building snapshot {SnapshotId}: {Reason}")]
    public static partial void BuildStarted(ILogger logger, string snapshotId, string reason);

    [LoggerMessage(EventId = 501, Level = LogLevel.Information, Message = "Snapshot {SnapshotId}: {Step}")]
    public static partial void BuildStep(ILogger logger, string snapshotId, string step);

    [LoggerMessage(EventId = 502, Level = LogLevel.Debug, Message = "Snapshot {SnapshotId}: {Line}")]
    public static partial void BuildOutput(ILogger logger, string snapshotId, string line);

    [LoggerMessage(EventId = 503, Level = LogLevel.Information, Message = "Built snapshot {SnapshotId} in {Seconds:0.0} s (dep cache warmed: {DepCacheWarmed})")]
    public static partial void BuildCompleted(ILogger logger, string snapshotId, double seconds, bool depCacheWarmed);

    [LoggerMessage(EventId = 504, Level = LogLevel.Error, Message = "Building snapshot {SnapshotId} failed")]
    public static partial void BuildFailed(ILogger logger, string snapshotId, Exception exception);

    [LoggerMessage(EventId = 505, Level = LogLevel.Information, Message = "Deleted superseded snapshot {Directory}")]
    public static partial void SnapshotDeleted(ILogger logger, string directory);

    [LoggerMessage(EventId = 506, Level = LogLevel.Warning, Message = "Could not clean up old snapshots of {Framework}")]
    public static partial void CleanupFailed(ILogger logger, string framework, Exception exception);

    [LoggerMessage(EventId = 507, Level = LogLevel.Warning, Message = "Could not delete the warm-up sandbox {SandboxId}")]
    public static partial void WarmUpSandboxNotDeleted(ILogger logger, string sandboxId, Exception exception);
}
