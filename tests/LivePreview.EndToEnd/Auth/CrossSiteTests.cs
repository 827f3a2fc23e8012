using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LivePreview.EndToEnd.Auth;

/// <summary>
/// Cross-site safety in Chromium: sandbox code serves a hostile page from its preview origin while the same browser
/// context is signed in to the dashboard. The page tries the API (read, stop, delete, prompt, make a key), the event
/// socket, the Blazor circuit and plain form posts with the dashboard's cookie. Every one is refused, the page reads
/// nothing, no answer carries CORS headers, and nothing changed: the sandbox still runs, no key was made, the
/// dashboard is still signed in. Two deployments, because different layers hold in each (see the subclasses).
/// </summary>
public abstract class CrossSiteTests(Uri? dashboard, IDictionary<string, string?> settings, IEnumerable<string>? browserArgs)
    : HostAndBrowserTest(settings, browserArgs)
{
    /// <summary>What the service answers the hostile page's state-changing requests (the form post to /logout is 403 in both).</summary>
    protected abstract int Refusal { get; }

    private Uri Dashboard => dashboard is null ? Host.BaseUri : new UriBuilder(dashboard) { Port = Host.Port }.Uri;

    [Fact]
    public async Task A_hostile_preview_page_cannot_use_the_dashboard_cookie_for_the_api_the_sockets_or_the_circuit()
    {
        var id = (await Host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        await Host.WaitForPreviewAsync(id);
        using (var put = await Host.Http.PutAsync($"api/v1/sandboxes/{id}/files/{HostilePage.Path}", new StringContent(HostilePage.Html)))
        {
            put.EnsureSuccessStatusCode();
        }
        var keysBefore = await KeyIdsAsync();
        var dashboard = Dashboard.GetLeftPart(UriPartial.Authority);
        var context = await Chromium.NewContextAsync();
        var signedIn = await context.NewPageAsync();
        await Browser.SignInAsync(signedIn, Host, Dashboard);
        await Expect(signedIn.GetByTestId("user-name")).ToHaveTextAsync("admin");

        var evil = await context.NewPageAsync();
        var answers = new List<(string Method, string Url, int Status, string? AllowOrigin)>();
        evil.Response += (_, r) =>
        {
            if (r.Url.StartsWith(dashboard, StringComparison.Ordinal))
            {
                lock (answers)
                {
                    answers.Add((r.Request.Method, r.Url, r.Status, r.Headers.GetValueOrDefault("access-control-allow-origin")));
                }
            }
        };
        var opened = await Browser.OpenPreviewAsync(evil, Host, id, "/evil.html");
        Assert.Equal(200, opened?.Status);
        await Expect(evil.Locator("#evil")).ToHaveTextAsync("evil");
        Assert.NotEqual(dashboard, new Uri(evil.Url).GetLeftPart(UriPartial.Authority));

        var seen = JsonDocument.Parse(await evil.EvaluateAsync<string>("async ([d, id]) => JSON.stringify(await window.attack(d, id))", new[] { dashboard, id })).RootElement;
        await evil.EvaluateAsync("([d, id]) => window.submitForms(d, id)", new[] { dashboard, id });
        await WaitForAnswersAsync(answers, 3, a => a.Method == "POST" && (a.Url.EndsWith("/logout") || a.Url.EndsWith("/stop") || a.Url.EndsWith("/keys")));

        foreach (var attempt in seen.EnumerateObject())
        {
            var v = attempt.Value;
            if (v.TryGetProperty("open", out var open))
            {
                Assert.False(open.GetBoolean(), $"{attempt.Name}: the socket opened: {v}");
                continue;
            }
            // Either the browser refused it (CORS), or the page got an opaque answer it cannot read.
            Assert.True(v.TryGetProperty("error", out _) || v.GetProperty("type").GetString() == "opaque", $"{attempt.Name}: the page read an answer: {v}");
        }
        List<(string Method, string Url, int Status, string? AllowOrigin)> snapshot;
        lock (answers)
        {
            snapshot = [.. answers];
        }
        // What the page saw and what the service answered, for a person reading the test's artifacts.
        File.WriteAllText(Path.Combine(Browser.ArtifactsDirectory("auth"), $"hostile-preview-{GetType().Name}.json"),
            JsonSerializer.Serialize(new { seen, answers = snapshot.Select(a => $"{a.Method} {a.Url} -> {a.Status}") }, new JsonSerializerOptions { WriteIndented = true }));
        Assert.NotEmpty(snapshot);
        // Reads may be answered (the browser keeps the answer from the page, as checked above); nothing else is.
        Assert.All(snapshot.Where(a => a.Method != "GET"), a => Assert.True(a.Status == (a.Url.EndsWith("/logout", StringComparison.Ordinal) ? 403 : Refusal),
            $"{a.Method} {a.Url} answered {a.Status}, expected {Refusal}"));
        Assert.Contains(snapshot, a => a.Url.EndsWith("/stop", StringComparison.Ordinal) && a.Status == Refusal);
        Assert.All(snapshot, a => Assert.Null(a.AllowOrigin));

        var sandbox = await Host.Http.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{id}");
        Assert.Equal("running", sandbox.GetProperty("status").GetString());
        Assert.Equal("ready", (await Host.WaitForPreviewAsync(id)).GetProperty("status").GetString());
        Assert.Equal(keysBefore, await KeyIdsAsync());
        await signedIn.ReloadAsync();
        await Expect(signedIn.GetByTestId("user-name")).ToHaveTextAsync("admin");
        await evil.ScreenshotAsync(new() { Path = Path.Combine(Browser.ArtifactsDirectory("auth"), $"hostile-preview-{GetType().Name}.png") });
    }

    [Fact]
    public async Task Cors_stays_closed_to_a_preview_origin_and_any_other_site()
    {
        using var client = Host.CreateLoopbackClient();
        foreach (var origin in new[] { "http://5173-abcdefghijkl.preview.localhost:" + Host.Port, "https://evil.example" })
        {
            using var preflight = new HttpRequestMessage(HttpMethod.Options, new Uri(Host.BaseUri, "api/v1/sandboxes"));
            preflight.Headers.Add("Origin", origin);
            preflight.Headers.Add("Access-Control-Request-Method", "POST");
            preflight.Headers.Add("Access-Control-Request-Headers", "authorization, content-type");
            using var get = new HttpRequestMessage(HttpMethod.Get, new Uri(Host.BaseUri, "api/v1/me"));
            get.Headers.Add("Origin", origin);
            get.Headers.Authorization = new("Bearer", Host.AdminKey);

            using var preflightAnswer = await client.SendAsync(preflight);
            using var getAnswer = await client.SendAsync(get);

            Assert.Equal(HttpStatusCode.OK, getAnswer.StatusCode);
            Assert.DoesNotContain(preflightAnswer.Headers, h => h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain(getAnswer.Headers, h => h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase));
        }
    }

    private async Task<string> KeyIdsAsync()
    {
        var keys = await Host.Http.GetFromJsonAsync<JsonElement>("api/v1/keys");
        return string.Join(",", keys.EnumerateArray().Select(k => $"{k.GetProperty("id").GetString()}:{k.GetProperty("user").GetString()}"));
    }

    /// <summary>Form posts land in frames after the call that submits them returns; wait (bounded) until they were answered.</summary>
    private static async Task WaitForAnswersAsync(List<(string Method, string Url, int Status, string? AllowOrigin)> answers, int count,
        Func<(string Method, string Url, int Status, string? AllowOrigin), bool> match)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            lock (answers)
            {
                if (answers.Count(match) >= count)
                {
                    return;
                }
            }
            await Task.Delay(100);
        }
        lock (answers)
        {
            Assert.Fail($"The hostile page's form posts were not all answered: {string.Join("; ", answers.Select(a => $"{a.Method} {a.Url} {a.Status}"))}");
        }
    }
}

/// <summary>
/// The default: dashboard on http://localhost, previews on *.preview.localhost. Chromium counts these as different sites,
/// so the SameSite=Strict cookie does not go with the page's requests at all: 401, and the preview page cannot even
/// sign the browser out (a cookie-less POST to /logout is refused by the Origin check too).
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class CrossSiteOnLocalhostTests() : CrossSiteTests(null, new Dictionary<string, string?> { ["LivePreview:Previews:MaxRestarts"] = "0" }, null)
{
    protected override int Refusal => 401;
}

/// <summary>
/// A deployment on one registrable domain: dashboard on lp.example.com, previews on *.preview.lp.example.com (Chromium
/// maps both to 127.0.0.1). Same site, so the browser does send the SameSite=Strict cookie with the page's requests and
/// sockets; the Origin check is what refuses them: 403.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class CrossSiteOnOneDomainTests() : CrossSiteTests(
    new Uri("http://lp.example.com/"),
    new Dictionary<string, string?> { ["LivePreview:Previews:MaxRestarts"] = "0", ["LivePreview:Previews:Domain"] = "preview.lp.example.com" },
    ["--host-resolver-rules=MAP lp.example.com 127.0.0.1, MAP *.lp.example.com 127.0.0.1"])
{
    protected override int Refusal => 403;
}
