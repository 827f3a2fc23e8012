namespace LivePreview.Gateway;

/// <summary>Log messages of the sandbox gateway (event ids 2000–2049; questions use 2030–2039).</summary>
internal static partial class GatewayLog
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Sandbox gateway listening on {Path}")]
    public static partial void Listening(ILogger logger, string path);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Gateway opened inside sandbox {SandboxId} on port {Port}")]
    public static partial void Opened(ILogger logger, string sandboxId, int port);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Gateway of sandbox {SandboxId} closed")]
    public static partial void Closed(ILogger logger, string sandboxId);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Gateway request refused: {Reason}")]
    public static partial void Refused(ILogger logger, string reason);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Gateway relay of sandbox {SandboxId} failed")]
    public static partial void RelayFailed(ILogger logger, string sandboxId, Exception ex);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "Sandbox {SandboxId} used {Provider} model {Model}: {InputTokens} in, {OutputTokens} out")]
    public static partial void ModelUsage(ILogger logger, string sandboxId, string provider, string model, long inputTokens, long outputTokens);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "Model request of sandbox {SandboxId} to {Provider} failed")]
    public static partial void ModelFailed(ILogger logger, string sandboxId, string provider, Exception ex);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "Registry egress for sandbox {SandboxId} could not be granted")]
    public static partial void RegistryEgressFailed(ILogger logger, string sandboxId, Exception ex);
}
