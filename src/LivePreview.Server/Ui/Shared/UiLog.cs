namespace LivePreview.Ui.Shared;

/// <summary>The dashboard's log messages (event ids 900–919).</summary>
internal static partial class UiLog
{
    [LoggerMessage(EventId = 910, Level = LogLevel.Warning, Message = "A dashboard action on {Target} failed")]
    public static partial void ActionFailed(ILogger logger, Exception ex, string target);
}
