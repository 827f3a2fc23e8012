using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Sandboxes;
using LivePreview.Tests.Support;

namespace LivePreview.PoolBench;

/// <param name="ToAppMs">POST /api/v1/prototype/session until the preview URL, through the proxy, answers 200 with the app's HTML.</param>
/// <param name="Warm">The preview was ready in the POST's answer: the session got a pooled sandbox.</param>
internal sealed record SessionStart(string Id, string SandboxId, double ToAppMs, double PostMs, bool Warm);

/// <summary>Starts and ends prototyping sessions the way a client does, timing what the user waits for.</summary>
internal sealed class Sessions(LivePreviewHost host) : IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private readonly HttpClient _client = CreateClient(host);

    public async Task<SessionStart> StartAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        JsonElement session;
        using (var response = await _client.PostAsJsonAsync("api/v1/prototype/session", new { framework = "react-vite" }, cancellationToken))
        {
            if (response.StatusCode != HttpStatusCode.Created)
            {
                throw new InvalidOperationException($"POST /api/v1/prototype/session answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
            }
            session = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        }
        var postMs = clock.Elapsed.TotalMilliseconds;
        var warm = session.GetProperty("preview_status").GetString() == "ready";
        var url = session.GetProperty("preview_url").GetString()!;
        string? last = null;
        while (clock.Elapsed < Timeout)
        {
            try
            {
                using var page = await _client.GetAsync(url, cancellationToken);
                var body = await page.Content.ReadAsStringAsync(cancellationToken);
                if (page.StatusCode == HttpStatusCode.OK && body.Contains("<div id=\"root\">", StringComparison.Ordinal) && body.Contains("type=\"module\"", StringComparison.Ordinal))
                {
                    return new SessionStart(session.GetProperty("id").GetString()!, session.GetProperty("sandbox_id").GetString()!, clock.Elapsed.TotalMilliseconds, postMs, warm);
                }
                last = $"{(int)page.StatusCode}";
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }
            await Task.Delay(PollInterval, cancellationToken);
        }
        throw new TimeoutException($"{url} did not serve the app within {Timeout.TotalSeconds:0} s (last: {last}).");
    }

    public async Task EndAsync(string sessionId, CancellationToken cancellationToken)
    {
        using var response = await _client.DeleteAsync($"api/v1/prototype/session/{sessionId}", cancellationToken);
        if (response.StatusCode is not (HttpStatusCode.NoContent or HttpStatusCode.NotFound))
        {
            throw new InvalidOperationException($"Ending session {sessionId} answered {(int)response.StatusCode}.");
        }
    }

    public async Task<JsonElement> PoolAsync(CancellationToken cancellationToken)
    {
        var pool = await _client.GetFromJsonAsync<JsonElement>("api/v1/pool", cancellationToken);
        return pool.GetProperty("frameworks").EnumerateArray().FirstOrDefault(f => f.GetProperty("framework").GetString() == "react-vite");
    }

    /// <summary>Polls the pool until <paramref name="condition"/> holds; false after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForPoolAsync(Func<JsonElement, bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            var pool = await PoolAsync(cancellationToken);
            if (pool.ValueKind == JsonValueKind.Object && condition(pool))
            {
                return true;
            }
            await Task.Delay(100, cancellationToken);
        }
        return false;
    }

    public void Dispose() => _client.Dispose();

    /// <summary>Its own connection pool (the host's client is shared with nobody else here, but polling must not queue behind POSTs).</summary>
    private static HttpClient CreateClient(LivePreviewHost host)
    {
        var client = host.CreateLoopbackClient();
        client.BaseAddress = new Uri($"http://127.0.0.1:{host.Port}/");
        client.Timeout = TimeSpan.FromSeconds(30);
        // The admin's key: it makes the sessions and opens their (private) previews.
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", host.AdminKey);
        return client;
    }
}

internal static class PoolHosts
{
    /// <summary>The service with only react-vite pooled, at <paramref name="size"/>.</summary>
    public static Task<LivePreviewHost> StartAsync(int size, IDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:LivePreview"] = "Warning",
            ["LivePreview:WarmPool:Size"] = size.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["LivePreview:WarmPool:Frameworks:vue-vite:Size"] = "0",
            ["LivePreview:WarmPool:Frameworks:next:Size"] = "0",
            // One user starts every session of a run: the per-user rate limits would measure themselves.
            ["LivePreview:RateLimits:Enabled"] = "false",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        return LivePreviewHost.StartAsync(settings);
    }

    /// <summary>Stops the service (so nothing refills), deletes every sandbox it still holds, then the host. Best effort; false if something stayed.</summary>
    public static async Task<bool> StopAndCleanAsync(LivePreviewHost host)
    {
        var ok = true;
        try
        {
            await host.App.StopAsync();
            var provider = host.Service<ISandboxProvider>();
            foreach (var id in await provider.ListAsync(CancellationToken.None))
            {
                try
                {
                    await provider.DeleteAsync(id, CancellationToken.None);
                }
                catch (Exception ex)
                {
                    ok = false;
                    Console.Error.WriteLine($"clean-up: deleting sandbox {id} failed: {ex.Message}");
                }
            }
            await host.DisposeAsync();
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"clean-up: stopping the service failed: {ex.Message}");
            ok = false;
        }
        return ok;
    }
}
