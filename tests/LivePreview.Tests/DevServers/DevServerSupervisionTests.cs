using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Events;
using LivePreview.Tests.Sandboxes;
using LivePreview.Tests.Support;
using Xunit.Abstractions;

namespace LivePreview.Tests.DevServers;

/// <summary>Crash detection and the bounded restart policy, with a real Vite dev server killed from outside.</summary>
[Collection(ServiceCollection.Name)]
public sealed class DevServerSupervisionTests(ITestOutputHelper output) : IAsyncLifetime
{
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync() => _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
    {
        ["LivePreview:Previews:MaxRestarts"] = "1",
        ["LivePreview:Previews:RestartBackoff"] = "00:00:00.200",
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_killed_dev_server_is_restarted_and_the_preview_is_ready_again()
    {
        var id = (await _host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        var first = await _host.WaitForPreviewAsync(id);
        var crashed = WaitForEventAsync(id, EventTypes.DevServerCrashed);

        var killed = System.Diagnostics.Stopwatch.StartNew();
        await SandboxProcesses.KillAllAsync(id);

        var crash = await crashed;
        var detected = killed.Elapsed;
        Assert.Contains("exited", crash.Payload!.Value.GetProperty("reason").GetString());
        Assert.Equal("exited", crash.Payload!.Value.GetProperty("cause").GetString());
        var again = await _host.WaitForPreviewAsync(id);
        // A figure, not a bound (the "within 2 s"): printed for the reader, never asserted.
        output.WriteLine($"kill -9 → DEV_SERVER_CRASHED {detected.TotalSeconds:0.00} s, → ready again {killed.Elapsed.TotalSeconds:0.00} s (RestartBackoff 0.2 s; the API polled every 0.1 s)");
        Assert.Equal(1, again.GetProperty("restarts").GetInt32());
        Assert.Equal("exited", again.GetProperty("last_crash").GetProperty("cause").GetString());
        Assert.Equal(first.GetProperty("id").GetString(), again.GetProperty("id").GetString());
        using var page = await _host.Http.GetAsync(again.GetProperty("preview_url").GetString());
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        await _host.Http.DeleteAsync($"api/v1/sandboxes/{id}");
    }

    [Fact]
    public async Task A_dev_server_that_keeps_crashing_ends_in_error_with_its_last_output_and_can_be_retried()
    {
        var id = (await _host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        await _host.WaitForPreviewAsync(id);
        var config = await _host.Http.GetStringAsync($"api/v1/sandboxes/{id}/files/vite.config.mjs");
        await _host.Http.PutAsync($"api/v1/sandboxes/{id}/files/vite.config.mjs", new StringContent("throw new Error('config-is-broken-on-purpose')\n"));

        await SandboxProcesses.KillAllAsync(id);

        var failed = await _host.WaitForPreviewAsync(id, "error");
        Assert.Contains("config-is-broken-on-purpose", failed.GetProperty("error").GetString());
        using (var page = await _host.Http.GetAsync(failed.GetProperty("preview_url").GetString()))
        {
            Assert.Equal(HttpStatusCode.BadGateway, page.StatusCode);
            Assert.Contains("The preview failed", await page.Content.ReadAsStringAsync());
        }

        await _host.Http.PutAsync($"api/v1/sandboxes/{id}/files/vite.config.mjs", new StringContent(config));
        var retried = await _host.Http.PostAsJsonAsync("api/v1/preview/", new { sandbox_id = id });
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        await _host.WaitForPreviewAsync(id);
        await _host.Http.DeleteAsync($"api/v1/sandboxes/{id}");
    }

    private async Task<LivePreviewEvent> WaitForEventAsync(string sandboxId, string type)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var bus = _host.Service<IEventBus>();
        var ready = new TaskCompletionSource();
        var task = Task.Run(async () =>
        {
            var stream = bus.SubscribeAsync(new EventFilter(sandboxId, new HashSet<string> { type }), cts.Token).GetAsyncEnumerator(cts.Token);
            var next = stream.MoveNextAsync();
            ready.SetResult();
            await next;
            return stream.Current;
        });
        await ready.Task;
        await Task.Delay(50);
        return await task;
    }
}
