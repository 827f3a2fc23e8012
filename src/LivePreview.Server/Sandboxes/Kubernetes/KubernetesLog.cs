namespace LivePreview.Sandboxes.Kubernetes;

internal static partial class KubernetesLog
{
    [LoggerMessage(EventId = 2880, Level = LogLevel.Information, Message = "Created pod {Pod} for sandbox {SandboxId} from image {Image}")]
    public static partial void Created(ILogger logger, string sandboxId, string pod, string image);

    [LoggerMessage(EventId = 2881, Level = LogLevel.Information, Message = "Deleted the pod and network policy of sandbox {SandboxId}")]
    public static partial void Deleted(ILogger logger, string sandboxId);

    [LoggerMessage(EventId = 2882, Level = LogLevel.Debug, Message = "Started {Program} in the pod of sandbox {SandboxId}")]
    public static partial void ProcessStarted(ILogger logger, string sandboxId, string program);

    [LoggerMessage(EventId = 2883, Level = LogLevel.Debug, Message = "Process in the pod of sandbox {SandboxId} exited with {ExitCode}")]
    public static partial void ProcessExited(ILogger logger, string sandboxId, int exitCode);

    [LoggerMessage(EventId = 2884, Level = LogLevel.Warning, Message = "Killing what was left in the pod of sandbox {SandboxId} failed; its own processes were killed")]
    public static partial void StopExecFailed(ILogger logger, Exception exception, string sandboxId);

    [LoggerMessage(EventId = 2930, Level = LogLevel.Debug, Message = "Started a terminal in the pod of sandbox {SandboxId}")]
    public static partial void TerminalStarted(ILogger logger, string sandboxId);

    [LoggerMessage(EventId = 2931, Level = LogLevel.Debug, Message = "Terminal in the pod of sandbox {SandboxId} exited with {ExitCode}")]
    public static partial void TerminalExited(ILogger logger, string sandboxId, int exitCode);
}
