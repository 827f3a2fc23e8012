namespace LivePreview.Ui.Tasks;

/// <summary>The tasks pages' log messages (event ids 2700–2719).</summary>
internal static partial class TasksLog
{
    [LoggerMessage(EventId = 2700, Level = LogLevel.Information, Message = "Task {TaskId} queued from the tasks page")]
    public static partial void Queued(ILogger logger, string taskId);

    [LoggerMessage(EventId = 2701, Level = LogLevel.Information, Message = "Task {TaskId} cancelled from its page")]
    public static partial void Cancelled(ILogger logger, string taskId);
}
