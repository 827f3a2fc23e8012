using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Events;
using LivePreview.Tests.Gateway;
using LivePreview.Tests.Hosting;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Prototypes;

/// <summary>
/// A prompt on a real sandbox with the replay agent becomes a checkpoint with a screenshot of its preview (taken by
/// headless Chromium through our proxy on a grant of its own) and a diff against its parent; both are the owner's only.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class CheckpointScreenshotTests : IAsyncLifetime
{
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync() => _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
    {
        ["LivePreview:Prototypes:Screenshots:Width"] = "900",
        ["LivePreview:Prototypes:Screenshots:Height"] = "700",
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_prompt_checkpoint_gets_a_screenshot_of_the_preview_and_a_diff_that_only_its_owner_can_read()
    {
        var started = await _host.Http.PostAsJsonAsync("api/v1/prototype/session", new { framework = "react-vite", agent = "replay" });
        var session = await started.Content.ReadFromJsonAsync<JsonElement>();
        var id = session.GetProperty("id").GetString()!;
        var sandboxId = session.GetProperty("sandbox_id").GetString()!;
        var preview = await _host.WaitForPreviewAsync(sandboxId);

        var shot = WaitForAsync(sandboxId, EventTypes.CheckpointScreenshot);
        Assert.Equal(HttpStatusCode.Accepted, (await _host.Http.PostAsJsonAsync($"api/v1/prototype/session/{id}/prompt",
            new { prompt = "make the hero section have a gradient background" })).StatusCode);
        var taken = (await shot).Payload!.Value;
        Assert.Equal("taken", taken.GetProperty("status").GetString());

        var checkpoints = await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/prototype/session/{id}/checkpoints");
        var (initial, prompt) = (checkpoints[0], checkpoints[1]);
        var checkpointId = prompt.GetProperty("id").GetString()!;
        Assert.Equal(checkpointId, taken.GetProperty("checkpoint_id").GetString());
        var url = $"api/v1/prototype/session/{id}/checkpoints/{checkpointId}/screenshot";
        Assert.Equal("/" + url, prompt.GetProperty("screenshot_url").GetString());
        Assert.Equal(JsonValueKind.Null, initial.GetProperty("screenshot_url").ValueKind);

        using var response = await _host.Http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        var png = PngPixels.Decode(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal((900, 700), (png.Width, png.Height));
        Assert.True(png.DistinctColours > 50, $"the page is drawn, not a blank one ({png.DistinctColours} colours)");
        // The hero's indigo-to-pink gradient (the edit's result, not an error page): strong blue over little green.
        Assert.Contains(png.Pixels, p => (int)(p & 0xFF) - (int)(p >> 8 & 0xFF) > 120);

        var diffs = await JsonAsync($"api/v1/prototype/session/{id}/checkpoints/{checkpointId}/diff");
        var app = diffs.EnumerateArray().Single(d => d.GetProperty("path").GetString() == "src/App.tsx");
        Assert.Equal("M", app.GetProperty("status").GetString());
        var diff = app.GetProperty("diff").GetString()!;
        Assert.Contains("--- a/src/App.tsx", diff);
        Assert.Contains("+      <section className=\"hero\" data-testid=\"hero\">", diff);
        Assert.Contains("-      <h1>Hello from React + Vite</h1>", diff);
        var start = await JsonAsync($"api/v1/prototype/session/{id}/checkpoints/{initial.GetProperty("id").GetString()}/diff");
        Assert.Contains(start.EnumerateArray(), d => d.GetProperty("path").GetString() == "src/App.tsx" && d.GetProperty("status").GetString() == "A");
        Assert.DoesNotContain(await _host.Http.GetStringAsync($"api/v1/prototype/session/{id}/files/.livepreview"), "diff-");

        // Edits beside the agent's, committed with the next prompt's checkpoint: a binary file, a name that is a glob, a deletion.
        var files = $"api/v1/sandboxes/{sandboxId}/files";
        Assert.True((await _host.Http.PutAsync($"{files}/assets/logo.bin", new ByteArrayContent([0x89, 0, 1, 0xFF]))).IsSuccessStatusCode);
        Assert.True((await _host.Http.PutAsync($"{files}/notes/%5Ba%5D%2A.md", new StringContent("# Literal\n"))).IsSuccessStatusCode);
        Assert.True((await _host.Http.DeleteAsync($"{files}/src/vite-env.d.ts")).IsSuccessStatusCode);

        var secondShot = WaitForAsync(sandboxId, EventTypes.CheckpointScreenshot);
        Assert.Equal(HttpStatusCode.Accepted, (await _host.Http.PostAsJsonAsync($"api/v1/prototype/session/{id}/prompt",
            new { prompt = "add a navbar with dark mode toggle" })).StatusCode);
        Assert.Equal("taken", (await secondShot).Payload!.Value.GetProperty("status").GetString());
        var next = (await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/prototype/session/{id}/checkpoints"))[2].GetProperty("id").GetString();
        var second = await JsonAsync($"api/v1/prototype/session/{id}/checkpoints/{next}/diff");
        var binary = second.EnumerateArray().Single(d => d.GetProperty("path").GetString() == "assets/logo.bin");
        Assert.Equal(("A", "binary"), (binary.GetProperty("status").GetString(), binary.GetProperty("omitted").GetString()));
        Assert.Equal(JsonValueKind.Null, binary.GetProperty("diff").ValueKind);
        var glob = second.EnumerateArray().Single(d => d.GetProperty("path").GetString() == "notes/[a]*.md");
        Assert.Contains("+# Literal", glob.GetProperty("diff").GetString());
        var deleted = second.EnumerateArray().Single(d => d.GetProperty("path").GetString() == "src/vite-env.d.ts");
        Assert.Equal("D", deleted.GetProperty("status").GetString());
        Assert.Contains("+++ /dev/null", deleted.GetProperty("diff").GetString());
        Assert.Contains("-/// <reference types=\"vite/client\" />", deleted.GetProperty("diff").GetString());

        // The grants Chromium used are for this preview only and were revoked once the pictures were taken.
        var grants = await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/preview/{preview.GetProperty("id").GetString()}/grants");
        Assert.NotEmpty(grants.EnumerateArray());
        Assert.All(grants.EnumerateArray(), g => Assert.False(g.GetProperty("active").GetBoolean()));

        using var bob = await GatewayKit.SecondUserAsync(_host, "bob");
        await ApiValidationTests.ProblemAsync(await bob.GetAsync(url), 404);
        await ApiValidationTests.ProblemAsync(await bob.GetAsync($"api/v1/prototype/session/{id}/checkpoints/{checkpointId}/diff"), 404);
        using var anonymous = _host.CreateLoopbackClient(useCookies: false);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(new Uri(_host.BaseUri, url))).StatusCode);
        await ApiValidationTests.ProblemAsync(await _host.Http.GetAsync($"api/v1/prototype/session/{id}/checkpoints/{initial.GetProperty("id").GetString()}/screenshot"), 404);
        await ApiValidationTests.ProblemAsync(await _host.Http.GetAsync($"api/v1/prototype/session/{id}/checkpoints/..%2F..%2Fbootstrap-key/screenshot"), 404);

        Assert.Equal(HttpStatusCode.NoContent, (await _host.Http.DeleteAsync($"api/v1/prototype/session/{id}")).StatusCode);
        Assert.False(Directory.Exists(Path.Join(_host.DataDirectory, "screenshots", id)));
    }

    [Fact]
    public async Task Without_Chromium_the_checkpoint_is_made_and_its_screenshot_event_says_why_there_is_none()
    {
        await _host.DisposeAsync();
        _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?> { ["LivePreview:Prototypes:Screenshots:ChromiumPath"] = "/nonexistent/chromium" });
        var started = await _host.Http.PostAsJsonAsync("api/v1/prototype/session", new { framework = "react-vite", agent = "replay" });
        var session = await started.Content.ReadFromJsonAsync<JsonElement>();
        var id = session.GetProperty("id").GetString()!;
        var sandboxId = session.GetProperty("sandbox_id").GetString()!;
        await _host.WaitForPreviewAsync(sandboxId);

        var shot = WaitForAsync(sandboxId, EventTypes.CheckpointScreenshot);
        await _host.Http.PostAsJsonAsync($"api/v1/prototype/session/{id}/prompt", new { prompt = "add a navbar with dark mode toggle" });
        var outcome = (await shot).Payload!.Value;

        Assert.Equal("unavailable", outcome.GetProperty("status").GetString());
        Assert.Contains("ChromiumPath", outcome.GetProperty("error").GetString());
        var checkpoints = await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/prototype/session/{id}/checkpoints");
        var prompt = checkpoints.EnumerateArray().Single(c => c.GetProperty("kind").GetString() == "prompt");
        Assert.Equal(JsonValueKind.Null, prompt.GetProperty("screenshot_url").ValueKind);
        var problem = await ApiValidationTests.ProblemAsync(
            await _host.Http.GetAsync($"api/v1/prototype/session/{id}/checkpoints/{prompt.GetProperty("id").GetString()}/screenshot"), 404);
        Assert.Contains("CHECKPOINT_SCREENSHOT", problem.GetProperty("detail").GetString());
        await _host.Http.DeleteAsync($"api/v1/prototype/session/{id}");
    }

    private async Task<JsonElement> JsonAsync(string url)
    {
        using var response = await _host.Http.GetAsync(url);
        Assert.True(response.IsSuccessStatusCode, $"{url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private Task<LivePreviewEvent> WaitForAsync(string sandboxId, string type)
    {
        var cts = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        var stream = _host.Service<IEventBus>().SubscribeAsync(new EventFilter(sandboxId, new HashSet<string> { type, EventTypes.PromptFailed }), cts.Token).GetAsyncEnumerator(cts.Token);
        var next = stream.MoveNextAsync();
        return Task.Run(async () =>
        {
            Assert.True(await next);
            Assert.Equal(type, stream.Current.Type);
            return stream.Current;
        });
    }
}
