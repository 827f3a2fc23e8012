using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace LivePreview.Tests.Support;

/// <summary>One request a fake forge received, as it came on the wire.</summary>
public sealed record ForgeRequest(string Method, string RawTarget, IReadOnlyDictionary<string, string> Headers, JsonObject? Body)
{
    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var value) ? value : null;
}

/// <summary>What a fake forge gets wrong on purpose, so a test can see the client refuse it.</summary>
public enum ForgeMisbehaviour { None, RedirectElsewhere, HugeBody }

/// <summary>
/// The common part of <see cref="FakeGitHub"/> and <see cref="FakeGitLab"/>: Kestrel on 127.0.0.1, port 0, one handler
/// that reads the raw request target (an encoded <c>%2F</c> stays as sent), records every request and answers with JSON.
/// </summary>
public abstract class FakeForge : IAsyncDisposable
{
    private WebApplication _app = null!;

    public Uri BaseUri { get; private set; } = null!;

    public ConcurrentQueue<ForgeRequest> Requests { get; } = new();

    public ForgeMisbehaviour Misbehaviour { get; set; }

    /// <summary>Where <see cref="ForgeMisbehaviour.RedirectElsewhere"/> sends the client.</summary>
    public Uri? RedirectTo { get; set; }

    protected async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Run(HandleAsync);
        await _app.StartAsync();
        BaseUri = new Uri(_app.Urls.Single().TrimEnd('/') + "/");
    }

    private async Task HandleAsync(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        JsonObject? body = null;
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            body = JsonNode.Parse(await new StreamReader(context.Request.Body).ReadToEndAsync()) as JsonObject;
        }
        var request = new ForgeRequest(context.Request.Method, raw,
            context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), body);
        Requests.Enqueue(request);
        if (Misbehaviour == ForgeMisbehaviour.RedirectElsewhere)
        {
            context.Response.StatusCode = 307;
            context.Response.Headers.Location = new Uri(RedirectTo!, raw.TrimStart('/')).ToString();
            return;
        }
        if (Misbehaviour == ForgeMisbehaviour.HugeBody)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("[" + string.Join(',', Enumerable.Repeat("\"" + new string('x', 1000) + "\"", 3000)) + "]");
            return;
        }
        var (status, json) = Answer(request);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(json.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
    }

    /// <summary>The forge's answer to one request: status and JSON body.</summary>
    protected abstract (int Status, JsonNode Body) Answer(ForgeRequest request);

    protected static (string Path, Dictionary<string, string> Query) Split(string raw)
    {
        var q = raw.IndexOf('?');
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        if (q >= 0)
        {
            foreach (var pair in raw[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var kv = pair.Split('=', 2);
                query[Uri.UnescapeDataString(kv[0])] = kv.Length == 2 ? Uri.UnescapeDataString(kv[1].Replace('+', ' ')) : "";
            }
        }
        return (q >= 0 ? raw[..q] : raw, query);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
