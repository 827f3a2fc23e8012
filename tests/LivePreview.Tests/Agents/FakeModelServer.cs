using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LivePreview.Tests.Agents;

/// <summary>
/// A model API on real Kestrel (127.0.0.1, a free port) that answers each request with the next
/// scripted response and keeps every request it got, so tests speak the real wire format through
/// the real client libraries.
/// </summary>
internal sealed class FakeModelServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Func<HttpContext, Task>> _responses = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly Timeline _timeline;
    private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];

    private FakeModelServer(WebApplication app, Timeline timeline)
    {
        _app = app;
        _timeline = timeline;
        _app.Run(HandleAsync);
    }

    public string BaseUrl => _app.Urls.First();

    /// <summary>The settings that point a test service's Anthropic agent at this server (a test key, a test model).</summary>
    public IReadOnlyDictionary<string, string?> AnthropicSettings => new Dictionary<string, string?>
    {
        ["LivePreview:Agents:Anthropic:ApiKey"] = "sk-ant-test",
        ["LivePreview:Agents:Anthropic:BaseUrl"] = BaseUrl,
        ["LivePreview:Agents:Anthropic:Model"] = "claude-test",
    };

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    /// <summary>The requests <see cref="Always"/> answered.</summary>
    public ConcurrentQueue<RecordedRequest> StandingRequests { get; } = new();

    /// <summary>Completes once <paramref name="count"/> requests have arrived (a held response is then under way).</summary>
    public Task WaitForRequestsAsync(int count, CancellationToken cancellationToken = default)
    {
        lock (_waiters)
        {
            if (_requests.Count >= count)
            {
                return Task.CompletedTask;
            }
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, reached));
            return reached.Task.WaitAsync(cancellationToken);
        }
    }

    public static async Task<FakeModelServer> StartAsync(Timeline timeline)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var server = new FakeModelServer(builder.Build(), timeline);
        await server._app.StartAsync();
        return server;
    }

    private Func<HttpContext, Task>? _otherwise;
    private readonly ConcurrentQueue<(Func<RecordedRequest, bool> Matches, Func<HttpContext, Task> Respond)> _standing = new();

    /// <summary>Answers every request that <paramref name="matches"/> (OpenCode's title requests), outside the script and not counted as a step of it.</summary>
    public FakeModelServer Always(Func<RecordedRequest, bool> matches, Func<HttpContext, Task> respond)
    {
        _standing.Enqueue((matches, respond));
        return this;
    }

    /// <summary>The answer to every request past the scripted ones (Claude Code retries a refused request several times).</summary>
    public FakeModelServer Otherwise(Func<HttpContext, Task> respond)
    {
        _otherwise = respond;
        return this;
    }

    public FakeModelServer Then(Func<HttpContext, Task> respond)
    {
        _responses.Enqueue(respond);
        return this;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var recorded = new RecordedRequest(context.Request.Method, context.Request.Path,
            context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()),
            body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone());
        if (_standing.FirstOrDefault(s => s.Matches(recorded)) is { Respond: { } standing })
        {
            StandingRequests.Enqueue(recorded);
            await standing(context);
            return;
        }
        var number = _requests.Count + 1;
        _requests.Enqueue(recorded);
        _timeline.Add($"request {number}");
        lock (_waiters)
        {
            foreach (var waiter in _waiters.Where(w => _requests.Count >= w.Count).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Reached.TrySetResult();
            }
        }
        if (!_responses.TryDequeue(out var respond) && (respond = _otherwise) is null)
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await context.Response.WriteAsync("The test scripted no response for this request.");
            return;
        }
        try
        {
            await respond(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            _timeline.Add($"request {number} aborted");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <param name="Headers">Lower-case names.</param>
internal sealed record RecordedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, JsonElement Body);

/// <summary>Writes server-sent events the way the model APIs do: one flush per event.</summary>
internal static class ServerSentEvents
{
    public static void Start(HttpContext context)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
    }

    public static async Task WriteAsync(HttpContext context, string? eventName, string data)
    {
        var text = (eventName is null ? "" : $"event: {eventName}\n") + $"data: {data}\n\n";
        await context.Response.WriteAsync(text, context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    public static string Json(object value) => JsonSerializer.Serialize(value);
}
