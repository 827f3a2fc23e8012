using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Sandboxes;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.WarmPool;

/// <summary>A service with only react-vite pooled (the lightest), and ways to watch its pool.</summary>
internal static class PoolTesting
{
    public static Task<LivePreviewHost> StartAsync(int size, IDictionary<string, string?>? extra = null, string? dataDirectory = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["LivePreview:WarmPool:Size"] = size.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["LivePreview:WarmPool:Frameworks:vue-vite:Size"] = "0",
            ["LivePreview:WarmPool:Frameworks:next:Size"] = "0",
            ["LivePreview:WarmPool:HealthInterval"] = "00:00:01",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        return LivePreviewHost.StartAsync(settings, dataDirectory);
    }

    /// <summary>The react-vite entry of GET /api/v1/pool, or null when the pool does not list it.</summary>
    public static async Task<JsonElement?> ReactPoolAsync(this LivePreviewHost host)
    {
        var pool = await host.Http.GetFromJsonAsync<JsonElement>("api/v1/pool");
        foreach (var framework in pool.GetProperty("frameworks").EnumerateArray())
        {
            if (framework.GetProperty("framework").GetString() == "react-vite")
            {
                return framework;
            }
        }
        return null;
    }

    public static async Task<JsonElement> WaitForPoolAsync(this LivePreviewHost host, Func<JsonElement, bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(3));
        JsonElement? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await host.ReactPoolAsync();
            if (last is { } pool && condition(pool))
            {
                return pool;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"The pool never reached: {what}. Last: {last}");
    }

    public static IReadOnlyList<string> MemberIds(this JsonElement pool, string? state = null) =>
        pool.GetProperty("members").EnumerateArray()
            .Where(m => state is null || m.GetProperty("state").GetString() == state)
            .Select(m => m.GetProperty("sandbox_id").GetString()!).ToList();

    public static int Int(this JsonElement e, string name) => e.GetProperty(name).GetInt32();

    public static async Task<JsonElement> StartSessionAsync(this LivePreviewHost host, string framework = "react-vite")
    {
        using var response = await host.Http.PostAsJsonAsync("api/v1/prototype/session", new { framework });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public static async Task EndSessionAsync(this LivePreviewHost host, JsonElement session) =>
        Assert.Equal(HttpStatusCode.NoContent, (await host.Http.DeleteAsync($"api/v1/prototype/session/{session.GetProperty("id").GetString()}")).StatusCode);

    /// <summary>
    /// Stops the service first (the filler would replace what is deleted), then deletes every sandbox
    /// it still holds — pooled ones outlive a stop by design — and then the rest of the host.
    /// </summary>
    public static async Task StopAndCleanAsync(this LivePreviewHost host)
    {
        var failures = new List<Exception>();
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
                failures.Add(ex);
            }
        }
        await host.DisposeAsync();
        if (failures.Count > 0)
        {
            throw new AggregateException("Sandboxes were left behind.", failures);
        }
    }
}
