using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace LivePreview.EndToEnd;

/// <summary>
/// Every app of <c>tests/corpus</c> (real scaffolder output, <c>corpus.json</c>) as a user's repository: served over git's
/// smart HTTP, made into a sandbox through the API, detected as corpus.json says, installed into a fresh dependency layer
/// from the npm registry, its own dev server's page opened in Chromium through the proxy, hot-updated after an edit
/// through the files API (a <c>window</c> marker set before the edit survives: no reload), and a second sandbox of the
/// same repository reusing the layer. One service, git server and browser serve all rows (<see cref="CorpusFixture"/>),
/// and the next app's cold install starts while a row works in the browser: the rows' cost is the installs, not the start-up.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class CorpusTests(CorpusFixture corpus, ITestOutputHelper output) : IClassFixture<CorpusFixture>
{
    public static TheoryData<string> Apps => [.. Corpus.Apps.Select(a => a.Name)];

    private LivePreviewHost Host => corpus.Host;

    [Theory]
    [MemberData(nameof(Apps))]
    public async Task A_corpus_app_gets_a_ready_preview_a_hot_update_in_chromium_and_a_second_sandbox_that_reuses_its_dependency_layer(string name)
    {
        var app = Corpus.Get(name);
        var clock = Stopwatch.StartNew();
        var created = await corpus.FirstSandboxAsync(app);
        var id = created.GetProperty("id").GetString()!;
        var detected = created.GetProperty("app");
        Assert.Equal(app.Framework, detected.GetProperty("framework").GetString());
        Assert.Equal(app.DevTool, detected.GetProperty("dev_tool").GetString());
        Assert.Equal(app.PackageManager, detected.GetProperty("package_manager").GetString());
        Assert.Equal(app.DevScript, detected.GetProperty("dev_script").GetString());
        Assert.Equal(app.Port, detected.GetProperty("port").GetInt32());
        Assert.Contains(detected.GetProperty("reasons").EnumerateArray(), r => r.GetString()!.Contains(app.LockFile, StringComparison.Ordinal));

        var url = (await Host.WaitForPreviewAsync(id, timeout: TimeSpan.FromMinutes(10))).GetProperty("preview_url").GetString()!;
        Assert.StartsWith($"http://{app.Port}-{id}.preview.localhost:", url);
        var first = await Host.Http.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{id}");
        Assert.Equal(app.DevToolVersion, first.GetProperty("app").GetProperty("dev_tool_version").GetString());
        Assert.False(first.GetProperty("dependencies").GetProperty("reused").GetBoolean());
        output.WriteLine($"{name}: preview ready {clock.Elapsed.TotalSeconds:0.0} s into the row (its create may have started earlier; install {first.GetProperty("dependencies").GetProperty("install_ms").GetInt64()} ms)");

        await HotUpdateAsync(app, id, url);
        output.WriteLine($"{name}: hot update seen {clock.Elapsed.TotalSeconds:0.0} s");

        var again = await CorpusFixture.CreateAsync(Host, corpus.UrlOf(app));
        var secondId = again.GetProperty("id").GetString()!;
        await Host.WaitForPreviewAsync(secondId, timeout: TimeSpan.FromMinutes(5));
        var second = await Host.Http.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{secondId}");
        Assert.True(second.GetProperty("dependencies").GetProperty("reused").GetBoolean(), $"second sandbox did not reuse the layer: {second}");
        Assert.Equal(first.GetProperty("dependencies").GetProperty("layer").GetString(), second.GetProperty("dependencies").GetProperty("layer").GetString());
        await AssertPageAsync(secondId);
        output.WriteLine($"{name}: second sandbox ready {clock.Elapsed.TotalSeconds:0.0} s");

        Assert.Equal(HttpStatusCode.NoContent, (await Host.Http.DeleteAsync($"api/v1/sandboxes/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Host.Http.DeleteAsync($"api/v1/sandboxes/{secondId}")).StatusCode);
    }

    /// <summary>Opens the preview in Chromium, sets a window marker, edits through the files API and waits for the marker text on screen.</summary>
    private async Task HotUpdateAsync(CorpusApp app, string id, string url)
    {
        var page = await corpus.Chromium.NewPageAsync();
        try
        {
            var sockets = new List<string>();
            page.WebSocket += (_, ws) => sockets.Add(ws.Url);
            var log = BrowserLog.Attach(page);
            await Browser.OpenPreviewAsync(page, Host, id);
            Assert.Equal(url, page.Url);
            await log.WaitAsync(page.Locator(app.HmrEdit.Selector).First.WaitForAsync(new() { Timeout = 60_000 }));
            await page.EvaluateAsync("() => { window.__livepreviewMarker = 'kept'; }");
            await WaitForHmrSocketAsync(page, sockets, url, log);

            var marker = $"Corpus edit {Guid.NewGuid():N}";
            var file = $"api/v1/sandboxes/{id}/files/{app.HmrEdit.File}";
            var source = await Host.Http.GetStringAsync(file);
            using (var put = await Host.Http.PutAsync(file, new StringContent(app.HmrEdit.Apply(source, marker))))
            {
                Assert.True(put.IsSuccessStatusCode, $"PUT {app.HmrEdit.File}: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
            }

            await log.WaitAsync(page.WaitForFunctionAsync(app.HmrEdit.ShownScript, marker, new() { Timeout = 60_000 }));
            Assert.True("kept" == await page.EvaluateAsync<string?>("() => window.__livepreviewMarker"), $"the page reloaded instead of a hot update\n{log}");
            Assert.All(sockets, s => Assert.StartsWith(url.Replace("http://", "ws://", StringComparison.Ordinal).TrimEnd('/'), s));
            await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ArtifactsDirectory("corpus"), $"{app.Name}.png") });
        }
        finally
        {
            await page.CloseAsync();
        }
    }

    /// <summary>The HMR client connects after the page's modules run; an edit before that would be missed.</summary>
    private static async Task WaitForHmrSocketAsync(IPage page, List<string> sockets, string url, BrowserLog log)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (sockets.Count == 0 && DateTime.UtcNow < deadline)
        {
            await page.WaitForTimeoutAsync(100);
        }
        Assert.True(sockets.Count > 0, $"No HMR WebSocket was opened by {url}\n{log}");
        await page.WaitForTimeoutAsync(300);
    }

    private async Task AssertPageAsync(string id)
    {
        var url = (await Host.WaitForPreviewAsync(id)).GetProperty("preview_url").GetString()!;
        using var page = await Host.Http.GetAsync(url);
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"GET {url}: {(int)page.StatusCode}");
    }
}

/// <summary>
/// One service (rate limits off: one user makes twenty sandboxes), one git server holding every corpus app as a
/// repository (one commit each, a fixed identity) and one Chromium for all rows of <see cref="CorpusTests"/>.
/// </summary>
public sealed class CorpusFixture : IAsyncLifetime
{
    private readonly Dictionary<string, Task<JsonElement>> _firstSandboxes = [];
    private readonly Lock _gate = new();
    private GitHttpServer _git = null!;
    private IPlaywright _playwright = null!;

    public LivePreviewHost Host { get; private set; } = null!;

    public IBrowser Chromium { get; private set; } = null!;

    public string UrlOf(CorpusApp app) => _git.UrlOf(app.Name);

    /// <summary>
    /// The create response of <paramref name="app"/>'s first sandbox. Asking for one also creates the first sandbox of an
    /// app no row has asked for yet, so that its install (mostly download time) runs while this row's browser works: two
    /// cold installs at a time keep the ten rows' wall time down. The rows' order does not matter.
    /// </summary>
    public Task<JsonElement> FirstSandboxAsync(CorpusApp app)
    {
        lock (_gate)
        {
            var first = StartFirst(app);
            if (Corpus.Apps.FirstOrDefault(a => !_firstSandboxes.ContainsKey(a.Name)) is { } next)
            {
                StartFirst(next);
            }
            return first;
        }
    }

    private Task<JsonElement> StartFirst(CorpusApp app)
    {
        if (!_firstSandboxes.TryGetValue(app.Name, out var created))
        {
            _firstSandboxes[app.Name] = created = CreateAsync(Host, UrlOf(app));
        }
        return created;
    }

    public static async Task<JsonElement> CreateAsync(LivePreviewHost host, string repository)
    {
        using var response = await host.Http.PostAsJsonAsync("api/v1/sandboxes", new { repository = new { url = repository, branch = "main" } });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public async Task InitializeAsync()
    {
        _git = await GitHttpServer.StartAsync();
        foreach (var app in Corpus.Apps)
        {
            _git.AddRepositoryFrom(app.SourceDirectory, app.Name);
        }
        Host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:Git:AllowedRemotes:0"] = _git.BaseUrl.ToString(),
            ["LivePreview:RateLimits:Enabled"] = "false",
        });
        (_playwright, Chromium) = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        // A create still on its way would make a sandbox after the host's clean-up looked: wait for every one.
        Task[] creates;
        lock (_gate)
        {
            creates = [.. _firstSandboxes.Values];
        }
        await Task.WhenAll(creates.Select(c => c.ContinueWith(_ => { }, TaskScheduler.Default)));
        await Chromium.DisposeAsync();
        _playwright.Dispose();
        await Host.DisposeAsync();
        await _git.DisposeAsync();
    }
}
