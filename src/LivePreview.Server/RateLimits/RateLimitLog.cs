namespace LivePreview.RateLimits;

/// <summary>Log messages of the rate limits (event ids 1750–1759).</summary>
internal static partial class RateLimitLog
{
    [LoggerMessage(EventId = 1750, Level = LogLevel.Warning, Message = "Rate limit {Setting} refused {Method} {Path} for user {User}; retry after {RetryAfterSeconds} s")]
    public static partial void Refused(ILogger logger, string setting, string method, string path, string user, int retryAfterSeconds);

    [LoggerMessage(EventId = 1751, Level = LogLevel.Warning, Message = "Rate limits are off (LivePreview:RateLimits:Enabled=false)")]
    public static partial void AllOff(ILogger logger);
}
