using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LivePreview.Tests.Hosting;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Sandboxes;

/// <summary>A real react-vite sandbox on real Kestrel, with its real Vite dev server behind the proxy.</summary>
[Collection(ServiceCollection.Name)]
public sealed class SandboxLifecycleTests : IAsyncLifetime
{
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync() => _host = await LivePreviewHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_sandbox_comes_alive_serves_its_preview_through_the_proxy_and_goes_away_cleanly()
    {
        var sandbox = await _host.CreateSandboxAsync("react-vite");
        var id = sandbox.GetProperty("id").GetString()!;
        Assert.Equal("creating", sandbox.GetProperty("status").GetString());

        var preview = await _host.WaitForPreviewAsync(id);
        var url = preview.GetProperty("preview_url").GetString()!;
        Assert.Equal($"http://5173-{id}.preview.localhost:{_host.Port}/", url);

        using (var page = await _host.Http.GetAsync(url))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("/@vite/client", await page.Content.ReadAsStringAsync());
            Assert.False(page.Headers.Contains("X-Frame-Options"));
            Assert.False(page.Headers.Contains("Server-Timing")); // LivePreview:Previews:ServerTiming is off by default
            Assert.Contains("frame-ancestors", string.Join(' ', page.Headers.GetValues("Content-Security-Policy")));
        }

        var again = await _host.Http.PostAsJsonAsync("api/v1/preview/", new { sandbox_id = id });
        Assert.Equal(preview.GetProperty("id").GetString(), (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString());

        var stopped = await _host.Http.DeleteAsync($"api/v1/preview/{preview.GetProperty("id").GetString()}");
        Assert.Equal("stopped", (await stopped.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        using (var page = await _host.Http.GetAsync(url))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, page.StatusCode);
            Assert.Contains("Preview stopped", await page.Content.ReadAsStringAsync());
        }

        Assert.Equal(HttpStatusCode.NoContent, (await _host.Http.DeleteAsync($"api/v1/sandboxes/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _host.Http.GetAsync($"api/v1/sandboxes/{id}")).StatusCode);
        Assert.False(Directory.Exists(Path.Combine(_host.DataDirectory, "sandboxes", id)));
        Assert.DoesNotContain($"lp-{id}", await RunAsync("ip", "netns", "list"));
    }

    [Fact]
    public async Task Files_are_written_read_listed_and_deleted_and_hostile_paths_are_refused()
    {
        var id = (await _host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        await _host.WaitForPreviewAsync(id);
        var files = $"api/v1/sandboxes/{id}/files";

        var created = await _host.Http.PutAsync($"{files}/src/components/Hello.tsx", new StringContent("export const Hello = () => <p>hi</p>;\n"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _host.Http.PutAsync($"{files}/src/components/Hello.tsx", new StringContent("export const Hello = () => <p>hello</p>;\n"))).StatusCode);
        Assert.Contains("hello", await _host.Http.GetStringAsync($"{files}/src/components/Hello.tsx"));

        var listing = await _host.Http.GetFromJsonAsync<JsonElement>($"{files}/src/components");
        Assert.Contains(listing.GetProperty("entries").EnumerateArray(), e => e.GetProperty("name").GetString() == "Hello.tsx");
        var root = await _host.Http.GetFromJsonAsync<JsonElement>(files);
        Assert.Contains(root.GetProperty("entries").EnumerateArray(), e => e.GetProperty("name").GetString() == "package.json");

        Assert.Equal(HttpStatusCode.NoContent, (await _host.Http.DeleteAsync($"{files}/src/components/Hello.tsx")).StatusCode);
        await ApiValidationTests.ProblemAsync(await _host.Http.GetAsync($"{files}/src/components/Hello.tsx"), 404);

        foreach (var hostile in new[] { "..%2F..%2Fetc%2Fpasswd", "src%2F..%2F..%2F..%2Fetc", "%2Fetc%2Fpasswd" })
        {
            await ApiValidationTests.ProblemAsync(await _host.Http.GetAsync($"{files}/{hostile}"), 400);
            await ApiValidationTests.ProblemAsync(await _host.Http.PutAsync($"{files}/{hostile}", new StringContent("x")), 400);
        }

        var tooBig = new ByteArrayContent(new byte[10 * 1024 * 1024 + 1]);
        await ApiValidationTests.ProblemAsync(await _host.Http.PutAsync($"{files}/big.bin", tooBig), 413);
        await _host.Http.DeleteAsync($"api/v1/sandboxes/{id}");
    }

    [Fact]
    public async Task After_a_service_restart_the_preview_is_started_again_and_never_reported_ready_while_dead()
    {
        var dataDirectory = _host.DataDirectory;
        var id = (await _host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        var url = (await _host.WaitForPreviewAsync(id)).GetProperty("preview_url").GetString()!;
        await _host.App.StopAsync();
        await _host.App.DisposeAsync();

        Assert.Equal("", (await RunAsync("ip", "netns", "pids", $"lp-{id}")).Trim());
        _host = await LivePreviewHost.StartAsync(dataDirectory: dataDirectory);
        var preview = await _host.WaitForPreviewAsync(id);
        var newUrl = preview.GetProperty("preview_url").GetString()!;
        Assert.NotEqual(url, newUrl);
        using var page = await _host.Http.GetAsync(newUrl);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        await _host.Http.DeleteAsync($"api/v1/sandboxes/{id}");
    }

    [Fact]
    public async Task Preview_pages_get_the_client_script_and_its_error_reports_become_events()
    {
        var id = (await _host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        var url = (await _host.WaitForPreviewAsync(id)).GetProperty("preview_url").GetString()!;

        using (var document = new HttpRequestMessage(HttpMethod.Get, url))
        {
            document.Headers.Add("Sec-Fetch-Dest", "document");
            document.Headers.Add("Accept-Encoding", "gzip, br");
            using var page = await _host.Http.SendAsync(document);
            var html = await page.Content.ReadAsStringAsync();
            Assert.StartsWith("<!doctype html>", html.TrimStart(), StringComparison.OrdinalIgnoreCase);
            Assert.Contains("<script src=\"/__livepreview/client.js\"></script>", html);
        }
        Assert.Contains("vite-error-overlay", await _host.Http.GetStringAsync(url + "__livepreview/client.js"));

        var bus = _host.Service<LivePreview.Events.IEventBus>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var reports = bus.SubscribeAsync(new LivePreview.Events.EventFilter(id, new HashSet<string> { "PREVIEW_CLIENT_REPORT" }), cts.Token).GetAsyncEnumerator(cts.Token);
        var next = reports.MoveNextAsync();
        var origin = new Uri(url).GetLeftPart(UriPartial.Authority);
        using (var report = new HttpRequestMessage(HttpMethod.Post, url + "__livepreview/report") { Content = JsonContent.Create(new { kind = "error", message = "ReferenceError: navbar is not defined" }) })
        {
            report.Headers.Add("Origin", origin);
            using var answer = await _host.Http.SendAsync(report);
            Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
        }
        Assert.True(await next);
        Assert.Equal("ReferenceError: navbar is not defined", reports.Current.Payload!.Value.GetProperty("message").GetString());
        using (var junk = new HttpRequestMessage(HttpMethod.Post, url + "__livepreview/report") { Content = new StringContent("{not json", System.Text.Encoding.UTF8, "application/json") })
        {
            junk.Headers.Add("Origin", origin);
            using var answer = await _host.Http.SendAsync(junk);
            Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        }
        await _host.Http.DeleteAsync($"api/v1/sandboxes/{id}");
    }

    internal static async Task<string> RunAsync(string program, params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo(program) { RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using var process = System.Diagnostics.Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }
}
