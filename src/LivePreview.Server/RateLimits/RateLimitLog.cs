namespace LivePreview.RateLimits;

/// <summary>Log messages of the rate limits (event ids 1750–1759; refusals are logged by Auth/Audit, 1760–1764, coalesced like their events).</summary>
internal static partial class RateLimitLog
{
    [LoggerMessage(EventId = 1751, Level = LogLevel.Warning, Message = "Rate limits are off (LivePreview:RateLimits:Enabled=false)")]
    public static partial void AllOff(ILogger logger);
}
