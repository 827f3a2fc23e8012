using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using LivePreview.Agents;
using LivePreview.Events;
using LivePreview.Persistence;
using LivePreview.Usage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LivePreview.Gateway;

/// <summary>
/// The model gateway: agents in a sandbox talk to <c>ANTHROPIC_BASE_URL</c> / <c>OPENAI_BASE_URL</c> on the gateway
/// with their sandbox token; the request goes on to the configured provider with the service's real key, so no key
/// ever enters a sandbox. Only listed request headers go on (never the token); the response streams back unbuffered
/// with its headers cleaned, and its token usage becomes a <c>MODEL_USAGE</c> event and a metric.
/// </summary>
internal sealed class ModelGateway(
    IOptionsMonitor<AgentOptions> agents,
    IOptions<GatewayOptions> options,
    IEventBus events,
    IDbContextFactory<LivePreviewDbContext> dbFactory,
    TimeProvider time,
    IMeterFactory meters,
    ILogger<ModelGateway> logger)
    : IDisposable
{
    public const string MeterName = "LivePreview.Gateway";

    private static readonly string[] RequestHeaders = ["anthropic-version", "anthropic-beta", "accept", "user-agent", "openai-beta"];
    private static readonly string[] ResponseHeaders = ["request-id", "x-request-id", "retry-after", "cache-control"];
    private static readonly string[] ResponseHeaderPrefixes = ["anthropic-ratelimit-", "x-ratelimit-"];

    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, UseProxy = false })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private readonly Counter<long> _tokens = meters.Create(MeterName).CreateCounter<long>("livepreview.model.tokens", "{token}", "Model tokens used by sandboxes through the gateway.");

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/anthropic/v1/messages", (HttpContext c, ModelGateway g) => g.ForwardAsync(c, "anthropic", "/v1/messages", meter: true));
        app.MapPost("/anthropic/v1/messages/count_tokens", (HttpContext c, ModelGateway g) => g.ForwardAsync(c, "anthropic", "/v1/messages/count_tokens", meter: false));
        app.MapPost("/openai/v1/chat/completions", (HttpContext c, ModelGateway g) => g.ForwardAsync(c, "openai", "/chat/completions", meter: true));
    }

    private async Task ForwardAsync(HttpContext context, string provider, string path, bool meter)
    {
        var caller = GatewayCaller.Of(context);
        var anthropic = provider == "anthropic";
        var a = agents.CurrentValue;
        var key = anthropic ? a.Anthropic.ApiKey : a.OpenAI.ApiKey;
        var baseUrl = anthropic ? a.Anthropic.BaseUrl ?? "https://api.anthropic.com" : a.OpenAI.BaseUrl ?? "https://api.openai.com/v1";
        if (string.IsNullOrEmpty(key) && (anthropic || string.IsNullOrEmpty(a.OpenAI.BaseUrl)))
        {
            await Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "No model provider configured",
                detail: anthropic ? "The service has no Anthropic key; an admin sets LivePreview:Agents:Anthropic:ApiKey."
                    : "The service has no OpenAI-compatible provider; an admin sets LivePreview:Agents:OpenAI:ApiKey (and BaseUrl).").ExecuteAsync(context);
            return;
        }
        var body = await ReadBodyAsync(context);
        if (body is null)
        {
            await Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request too large",
                detail: $"Model requests through the gateway are at most {options.Value.MaxModelRequestBytes} bytes.").ExecuteAsync(context);
            return;
        }
        if (!anthropic && meter)
        {
            body = WithStreamUsage(body);
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, baseUrl.TrimEnd('/') + path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("content-type", context.Request.ContentType ?? "application/json");
        foreach (var name in RequestHeaders)
        {
            if (context.Request.Headers.TryGetValue(name, out var value))
            {
                request.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)value!);
            }
        }
        if (!string.IsNullOrEmpty(key))
        {
            if (anthropic)
            {
                request.Headers.TryAddWithoutValidation("x-api-key", key);
            }
            else
            {
                request.Headers.TryAddWithoutValidation("authorization", "Bearer " + key);
            }
        }
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            GatewayLog.ModelFailed(logger, caller.SandboxId, provider, ex);
            await Results.Problem(statusCode: StatusCodes.Status502BadGateway, title: "Model provider unreachable",
                detail: $"The {provider} provider could not be reached: {ex.Message}. Try again later.").ExecuteAsync(context);
            return;
        }
        using (response)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            CopyResponseHeaders(response, context.Response);
            var usage = new ModelUsageReader(anthropic);
            await using var stream = await response.Content.ReadAsStreamAsync(context.RequestAborted);
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = await stream.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                if (meter)
                {
                    usage.Feed(buffer.AsSpan(0, read));
                }
            }
            usage.Complete();
            if (meter && response.IsSuccessStatusCode && usage.SawUsage)
            {
                await RecordAsync(caller, provider, usage);
            }
        }
    }

    private async Task RecordAsync(GatewayCaller caller, string provider, ModelUsageReader usage)
    {
        var model = usage.Model ?? "unknown";
        _tokens.Add(usage.InputTokens, new("provider", provider), new("direction", "input"));
        _tokens.Add(usage.OutputTokens, new("provider", provider), new("direction", "output"));
        GatewayLog.ModelUsage(logger, caller.SandboxId, provider, model, usage.InputTokens, usage.OutputTokens);
        // The row is what GET /api/v1/usage adds up (it outlives the event log's retention); the event is the live feed.
        await using (var db = await dbFactory.CreateDbContextAsync(CancellationToken.None))
        {
            db.ModelUsage.Add(new ModelUsageRecord
            {
                SandboxId = caller.SandboxId, Owner = caller.Owner, Provider = provider, Model = model,
                InputTokens = usage.InputTokens, OutputTokens = usage.OutputTokens, At = time.GetUtcNow(),
            });
            await db.SaveChangesAsync(CancellationToken.None);
        }
        await events.PublishAsync(new EventDraft(EventTypes.ModelUsage, EntityTypes.Sandbox, caller.SandboxId, caller.SandboxId,
            new { provider, model, input_tokens = usage.InputTokens, output_tokens = usage.OutputTokens }), CancellationToken.None);
    }

    private async Task<byte[]?> ReadBodyAsync(HttpContext context)
    {
        var limit = options.Value.MaxModelRequestBytes;
        if (context.Request.ContentLength > limit)
        {
            return null;
        }
        using var memory = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            if (memory.Length + read > limit)
            {
                return null;
            }
            memory.Write(buffer, 0, read);
        }
        return memory.ToArray();
    }

    /// <summary>A streamed OpenAI request reports usage only when asked (<c>stream_options.include_usage</c>); ask.</summary>
    private static byte[] WithStreamUsage(byte[] body)
    {
        try
        {
            if (JsonNode.Parse(body) is JsonObject request && request["stream"]?.GetValueKind() == System.Text.Json.JsonValueKind.True
                && request["stream_options"]?["include_usage"] is null)
            {
                var streamOptions = request["stream_options"] as JsonObject ?? [];
                streamOptions["include_usage"] = true;
                request["stream_options"] = streamOptions;
                return System.Text.Encoding.UTF8.GetBytes(request.ToJsonString());
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // Not JSON: the provider will say so.
        }
        return body;
    }

    private static void CopyResponseHeaders(HttpResponseMessage from, HttpResponse to)
    {
        if (from.Content.Headers.ContentType is { } type)
        {
            to.ContentType = type.ToString();
        }
        foreach (var (name, values) in from.Headers)
        {
            var lower = name.ToLowerInvariant();
            if (ResponseHeaders.Contains(lower) || ResponseHeaderPrefixes.Any(p => lower.StartsWith(p, StringComparison.Ordinal)))
            {
                to.Headers[lower] = values.ToArray();
            }
        }
    }

    public void Dispose() => _http.Dispose();
}
