namespace LivePreview.Tasks;

public sealed partial class TaskQueue
{
    [LoggerMessage(EventId = 2550, Level = LogLevel.Information, Message = "Task {TaskId} queued with priority {Priority}")]
    private static partial void LogEnqueued(ILogger logger, string taskId, int priority);

    [LoggerMessage(EventId = 2551, Level = LogLevel.Information, Message = "Task {TaskId} claimed by {InstanceId} (attempt {Attempt})")]
    private static partial void LogClaimed(ILogger logger, string taskId, string instanceId, int attempt);

    [LoggerMessage(EventId = 2552, Level = LogLevel.Information, Message = "Task {TaskId} completed")]
    private static partial void LogCompleted(ILogger logger, string taskId);

    [LoggerMessage(EventId = 2553, Level = LogLevel.Warning, Message = "Task {TaskId} attempt failed, now {State}: {Error}")]
    private static partial void LogFailed(ILogger logger, string taskId, TaskState state, string error);
}
