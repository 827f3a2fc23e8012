using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Support;

namespace LivePreview.CorpusBench;

/// <param name="ReadyMs">POST → the preview's status is <c>ready</c> (API).</param>
/// <param name="FirstPageMs">POST → the preview URL, fetched through the proxy, answers 200.</param>
/// <param name="InstallMs">The sandbox's <c>dependencies.install_ms</c> (0 when the layer was reused).</param>
internal sealed record Attempt(CorpusApp App, bool Warm, bool Ok, double ReadyMs, double FirstPageMs, long InstallMs, bool Reused, string? Error);

/// <summary>One sandbox from a corpus repository, timed as a user sees it: from the POST until the preview is ready and its page answers 200.</summary>
internal static class PreviewAttempt
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    public static async Task<Attempt> RunAsync(LivePreviewHost host, CorpusApp app, string repository, bool warm, TimeSpan timeout, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        using var response = await host.Http.PostAsJsonAsync("api/v1/sandboxes", new { repository = new { url = repository, branch = "main" } }, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            return Failed($"POST: {(int)response.StatusCode} {body}");
        }
        var id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
        try
        {
            var (ready, url, error) = await WaitForReadyAsync(host, id, clock, timeout, ct);
            if (error is not null)
            {
                return Failed(error);
            }
            var firstPage = await WaitForPageAsync(host, url!, clock, timeout, ct);
            if (firstPage is null)
            {
                return Failed($"the preview did not answer 200 within {timeout.TotalSeconds:0} s");
            }
            var sandbox = await host.Http.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{id}", ct);
            var dependencies = sandbox.GetProperty("dependencies");
            return new Attempt(app, warm, true, ready, firstPage.Value, dependencies.GetProperty("install_ms").GetInt64(), dependencies.GetProperty("reused").GetBoolean(), null);
        }
        finally
        {
            using var deleted = await host.Http.DeleteAsync($"api/v1/sandboxes/{id}", CancellationToken.None);
        }

        Attempt Failed(string why) => new(app, warm, false, double.NaN, double.NaN, 0, false, why);
    }

    /// <summary>Polls the preview; a sandbox in <c>error</c> ends the attempt with its error.</summary>
    private static async Task<(double Ms, string? Url, string? Error)> WaitForReadyAsync(LivePreviewHost host, string id, Stopwatch clock, TimeSpan timeout, CancellationToken ct)
    {
        while (clock.Elapsed < timeout)
        {
            using var preview = await host.Http.GetAsync($"api/v1/preview/sandbox/{id}", ct);
            if (preview.IsSuccessStatusCode)
            {
                var state = await preview.Content.ReadFromJsonAsync<JsonElement>(ct);
                switch (state.GetProperty("status").GetString())
                {
                    case "ready":
                        return (clock.Elapsed.TotalMilliseconds, state.GetProperty("preview_url").GetString(), null);
                    case "error":
                        return (double.NaN, null, $"preview error: {state}");
                }
            }
            else
            {
                var sandbox = await host.Http.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{id}", ct);
                if (sandbox.GetProperty("status").GetString() == "error")
                {
                    return (double.NaN, null, $"sandbox error: {sandbox.GetProperty("error")}");
                }
            }
            await Task.Delay(Poll, ct);
        }
        return (double.NaN, null, $"not ready within {timeout.TotalSeconds:0} s");
    }

    private static async Task<double?> WaitForPageAsync(LivePreviewHost host, string url, Stopwatch clock, TimeSpan timeout, CancellationToken ct)
    {
        while (clock.Elapsed < timeout)
        {
            using var page = await host.Http.GetAsync(url, ct);
            if (page.StatusCode == HttpStatusCode.OK)
            {
                return clock.Elapsed.TotalMilliseconds;
            }
            await Task.Delay(Poll, ct);
        }
        return null;
    }
}
