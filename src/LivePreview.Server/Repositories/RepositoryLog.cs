namespace LivePreview.Repositories;

internal static partial class RepositoryLog
{
    [LoggerMessage(EventId = 2450, Level = LogLevel.Information, Message = "Cloned {Url} ({Branch}) at {Commit} for sandbox {SandboxId}")]
    public static partial void Cloned(ILogger logger, string url, string branch, string commit, string sandboxId);

    [LoggerMessage(EventId = 2451, Level = LogLevel.Information, Message = "Building dependency layer {LayerId}")]
    public static partial void LayerBuilding(ILogger logger, string layerId);

    [LoggerMessage(EventId = 2452, Level = LogLevel.Information, Message = "Built dependency layer {LayerId} in {Seconds:0.0} s ({Megabytes} MB)")]
    public static partial void LayerBuilt(ILogger logger, string layerId, double seconds, long megabytes);

    [LoggerMessage(EventId = 2453, Level = LogLevel.Warning, Message = "Building dependency layer {LayerId} failed")]
    public static partial void LayerFailed(ILogger logger, string layerId, Exception exception);

    [LoggerMessage(EventId = 2454, Level = LogLevel.Information, Message = "Deleted dependency layer {LayerId}: {Reason}")]
    public static partial void LayerEvicted(ILogger logger, string layerId, string reason);

    [LoggerMessage(EventId = 2455, Level = LogLevel.Warning, Message = "Cleaning up dependency layers failed")]
    public static partial void EvictionFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2456, Level = LogLevel.Warning, Message = "The build sandbox {SandboxId} of a dependency layer was not deleted")]
    public static partial void BuildSandboxNotDeleted(ILogger logger, string sandboxId, Exception exception);

    [LoggerMessage(EventId = 2457, Level = LogLevel.Debug, Message = "Dependency layer {LayerId}: {Line}")]
    public static partial void InstallOutput(ILogger logger, string layerId, string line);

    [LoggerMessage(EventId = 2458, Level = LogLevel.Error, Message = "Provisioning repository sandbox {SandboxId} failed")]
    public static partial void ProvisionFailed(ILogger logger, Exception exception, string sandboxId);

    [LoggerMessage(EventId = 2459, Level = LogLevel.Warning, Message = "The source folder of sandbox {SandboxId} was not deleted")]
    public static partial void SourceNotDeleted(ILogger logger, string sandboxId, Exception exception);

    [LoggerMessage(EventId = 2460, Level = LogLevel.Warning, Message = "Sandbox {SandboxId}: its dev server could not be planned again, the stored plan is kept: {Reason}")]
    public static partial void ReplanFailed(ILogger logger, string sandboxId, string reason);
}
