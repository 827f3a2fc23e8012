using System.Text;
using System.Text.Json;
using System.Threading.RateLimiting;
using LivePreview.Events;
using LivePreview.Previews;
using LivePreview.Sandboxes;
using Microsoft.Extensions.Options;

namespace LivePreview.Proxy;

/// <summary>
/// <c>POST /__livepreview/report</c>: what the client script reports becomes a PREVIEW_CLIENT_REPORT event,
/// which the agent of that sandbox is shown to fix, so it is accepted only from the preview's own page:
/// the browser's <c>Origin</c> must be the preview's origin (or, without Origin, <c>Sec-Fetch-Site: same-origin</c>;
/// neither is refused), the body must be JSON (a cross-site <c>text/plain</c> form post is refused), small,
/// within a per-preview token bucket, and within a per-preview cap per window. Stored text is bounded and
/// cleaned of control characters.
/// </summary>
/// <remarks>
/// Limits use System.Threading.RateLimiting's partitioned limiters keyed by sandbox and port, not the ASP.NET
/// Core rate-limiting middleware: reports are answered by the proxy middleware before routing, and the key
/// (which preview) is known only once the proxy has resolved the host. Idle partitions are dropped by the limiter.
/// </remarks>
internal sealed partial class ClientReports : IDisposable
{
    public const int MaxReportBytes = 16 * 1024;
    private const int MaxMessageChars = 4000;
    private const int MaxStackChars = 8000;
    private const int MaxUrlChars = 2000;

    private readonly IEventBus _events;
    private readonly PreviewAddress _address;
    private readonly PreviewOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ClientReports> _logger;
    private readonly PartitionedRateLimiter<string> _burst;
    private readonly PartitionedRateLimiter<string> _window;
    private readonly Dictionary<string, DateTimeOffset> _dropLogged = [];

    public ClientReports(IEventBus events, PreviewAddress address, IOptions<PreviewOptions> options, TimeProvider time, ILogger<ClientReports> logger)
    {
        _events = events;
        _address = address;
        _options = options.Value;
        _time = time;
        _logger = logger;
        var o = _options;
        _burst = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = o.ReportBurst,
            TokensPerPeriod = o.ReportsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
        _window = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = o.MaxReportsPerWindow,
            Window = o.ReportWindow,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>Answers one report request; the status code says what became of it.</summary>
    public async Task<ReportVerdict> AcceptAsync(HttpContext context, PreviewSnapshot preview)
    {
        if (ReportRequest.Refusal(context.Request, preview, _address, MaxReportBytes) is { } refused)
        {
            return refused;
        }
        var key = $"{preview.SandboxId}:{preview.Port}";
        using (var lease = _burst.AttemptAcquire(key))
        {
            if (!lease.IsAcquired)
            {
                return new(StatusCodes.Status429TooManyRequests, "Too many reports from this preview; slow down.");
            }
        }
        var (bytes, truncated) = await BoundedReader.ReadAsync(context.Request.Body, MaxReportBytes, context.RequestAborted);
        if (truncated)
        {
            return ReportRequest.TooLarge(MaxReportBytes);
        }
        if (Parse(bytes) is not { } report)
        {
            return new(StatusCodes.Status400BadRequest, "A report is a JSON object with a short \"kind\" (letters and dashes) and a \"message\".");
        }
        using (var lease = _window.AttemptAcquire(key))
        {
            if (!lease.IsAcquired)
            {
                LogDroppedOnce(preview);
                return new(StatusCodes.Status429TooManyRequests, $"This preview reached its cap of {_options.MaxReportsPerWindow} reports; further reports are dropped for now.");
            }
        }
        await _events.PublishAsync(new EventDraft(EventTypes.PreviewClientReport, "preview", preview.Id, preview.SandboxId,
            new { kind = report.Kind, message = report.Message, stack = report.Stack, url = report.Url }));
        return new(StatusCodes.Status204NoContent, null);
    }

    private static CleanReport? Parse(byte[] bytes)
    {
        ClientReport? report;
        try
        {
            report = JsonSerializer.Deserialize<ClientReport>(Encoding.UTF8.GetString(bytes), Hosting.JsonDefaults.Options);
        }
        catch (JsonException)
        {
            return null;
        }
        if (report?.Kind is not { Length: > 0 and <= 40 } kind || !kind.All(c => char.IsAsciiLetterLower(c) || c == '-'))
        {
            return null;
        }
        return new CleanReport(kind, SandboxText.Clean(report.Message, MaxMessageChars),
            report.Stack is null ? null : SandboxText.Clean(report.Stack, MaxStackChars), SandboxText.Clean(report.Url, MaxUrlChars));
    }

    private void LogDroppedOnce(PreviewSnapshot preview)
    {
        var now = _time.GetUtcNow();
        lock (_dropLogged)
        {
            if (_dropLogged.TryGetValue(preview.Id, out var last) && now - last < _options.ReportWindow)
            {
                return;
            }
            _dropLogged[preview.Id] = now;
        }
        LogReportsDropped(_logger, preview.Id, preview.SandboxId, _options.MaxReportsPerWindow, _options.ReportWindow);
    }

    [LoggerMessage(EventId = 610, Level = LogLevel.Warning,
        Message = "Preview {PreviewId} of sandbox {SandboxId} sent more than {Limit} client reports within {Window}; the excess is dropped (logged once per window)")]
    private static partial void LogReportsDropped(ILogger logger, string previewId, string sandboxId, int limit, TimeSpan window);

    public void Dispose()
    {
        _burst.Dispose();
        _window.Dispose();
    }

    private sealed record ClientReport(string? Kind, string? Message, string? Stack, string? Url);

    private sealed record CleanReport(string Kind, string Message, string? Stack, string Url);
}

/// <summary>The status for a report request, and what to tell the sender when it is refused.</summary>
internal readonly record struct ReportVerdict(int StatusCode, string? Detail);
