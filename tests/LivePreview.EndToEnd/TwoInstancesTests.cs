using System.Net.Http.Json;
using LivePreview.Instances;
using LivePreview.Tests.Support;
using Microsoft.Playwright;

namespace LivePreview.EndToEnd;

/// <summary>
/// Two service instances on one PostgreSQL and one Redis behind a round-robin TCP balancer (<see cref="RoundRobinBalancer"/>,
/// no stickiness; the instances' public port is the balancer's): a sandbox made on one instance is opened in Chromium
/// through the balancer while it sends every connection to the <b>other</b> instance, and an edit made through the
/// balancer hot-updates the page without a reload — the page, its modules and Vite's HMR WebSocket all forwarded to the
/// owner. Then the balancer goes round robin and a new browser's page still loads and updates.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class TwoInstancesTests : IAsyncLifetime
{
    private static readonly string SharedAdminKey = InstanceSettings.NewAdminKey("two-instances");
    private static readonly string Secret = InstanceSettings.NewSecret();
    private readonly RoundRobinBalancer _balancer = new();
    private RedisServer _redis = null!;
    private LivePreviewHost _a = null!;
    private LivePreviewHost _b = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _chromium = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        var database = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();
        _a = await LivePreviewHost.StartAsync(Settings("lp-a", database));
        _b = await LivePreviewHost.StartAsync(Settings("lp-b", database));
        _balancer.Start(_a.Port, _b.Port);
        (_playwright, _chromium) = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await _chromium.DisposeAsync();
        _playwright.Dispose();
        await _balancer.DisposeAsync();
        await _b.DisposeAsync();
        await _a.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task A_sandbox_on_one_instance_hot_updates_in_chromium_through_a_balancer_that_sends_everything_to_the_other()
    {
        foreach (var host in new[] { _a, _b })
        {
            for (var deadline = DateTime.UtcNow.AddSeconds(60); (await host.Service<InstanceRegistry>().LiveAsync(CancellationToken.None)).Count < 2; await Task.Delay(200))
            {
                Assert.True(DateTime.UtcNow < deadline, "the instances did not see each other");
            }
        }
        var id = (await _a.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        var ownerId = await _a.Service<InstanceDirectory>().InstanceOfAsync(id, CancellationToken.None);
        var (owner, other) = ownerId == "lp-a" ? (_a, _b) : (_b, _a);
        _balancer.Pin(other.Port);
        using var viaBalancer = other.CreateLoopbackClient();
        viaBalancer.BaseAddress = new Uri($"http://127.0.0.1:{_balancer.Port}/");
        viaBalancer.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", SharedAdminKey);

        // The grant is made through the balancer (so by the other instance, forwarding to the owner); its URL is the
        // balancer's, as a user's would be.
        var preview = await WaitForReadyAsync(viaBalancer, id);
        var url = preview.GetProperty("preview_url").GetString()!;
        Assert.Equal($"http://5173-{id}.preview.localhost:{_balancer.Port}/", url);
        using var granted = await viaBalancer.PostAsJsonAsync($"api/v1/preview/{preview.GetProperty("id").GetString()}/grants", new { expires_in_seconds = 600 });
        var grantUrl = (await granted.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("url").GetString()!;

        var page = await _chromium.NewPageAsync();
        var sockets = new List<string>();
        page.WebSocket += (_, ws) => { lock (sockets) sockets.Add(ws.Url); };
        var log = BrowserLog.Attach(page);
        await page.GotoAsync(grantUrl);
        Assert.Equal(url, page.Url);
        await log.WaitAsync(page.Locator("h1").WaitForAsync(new() { Timeout = 60_000 }));
        await page.EvaluateAsync("() => { window.__twoInstancesMarker = 'kept'; }");
        for (var deadline = DateTime.UtcNow.AddSeconds(30); ; await page.WaitForTimeoutAsync(100))
        {
            lock (sockets)
            {
                if (sockets.Count > 0)
                {
                    break;
                }
            }
            Assert.True(DateTime.UtcNow < deadline, "no HMR WebSocket through the balancer");
        }
        await page.WaitForTimeoutAsync(300);

        var marker = $"Through the other instance {Guid.NewGuid():N}";
        await EditAsync(viaBalancer, id, marker);
        await log.WaitAsync(page.WaitForFunctionAsync("m => document.querySelector('h1')?.textContent.includes(m)", marker, new() { Timeout = 30_000 }));
        Assert.Equal("kept", await page.EvaluateAsync<string>("() => window.__twoInstancesMarker"));
        // Everything went to the other instance; the owner saw it only as forwarded requests.
        Assert.Equal([other.Port], _balancer.Connections.Keys);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ArtifactsDirectory("instances"), "hmr-through-the-other-instance.png") });

        await page.CloseAsync();

        // Round robin: a new browser context's connections (its page, modules, HMR socket) go to both instances in turn,
        // and an edit still arrives without a reload.
        _balancer.Pin(null);
        await using var context = await _chromium.NewContextAsync();
        var again = await context.NewPageAsync();
        var againLog = BrowserLog.Attach(again);
        await again.GotoAsync(grantUrl);
        await againLog.WaitAsync(again.Locator("h1").WaitForAsync(new() { Timeout = 60_000 }));
        await again.EvaluateAsync("() => { window.__twoInstancesMarker = 'kept again'; }");
        await again.WaitForTimeoutAsync(1000);
        var second = $"Round robin {Guid.NewGuid():N}";
        await EditAsync(viaBalancer, id, second);
        await againLog.WaitAsync(again.WaitForFunctionAsync("m => document.querySelector('h1')?.textContent.includes(m)", second, new() { Timeout = 30_000 }));
        Assert.Equal("kept again", await again.EvaluateAsync<string>("() => window.__twoInstancesMarker"));
        Assert.Contains(owner.Port, _balancer.Connections.Keys);

        await DashboardOfTheOtherInstanceStopsStartsAndDeletesOnTheOwnerAsync(id, owner, other);
    }

    /// <summary>
    /// The dashboard, served by the instance that does not run the sandbox (the balancer pinned to it): its page says where
    /// the sandbox runs, and its Stop, Start and Delete buttons act on the owner's sandbox (InstanceClient), as the
    /// signed-in user, and the page follows the owner's events.
    /// </summary>
    private async Task DashboardOfTheOtherInstanceStopsStartsAndDeletesOnTheOwnerAsync(string id, LivePreviewHost owner, LivePreviewHost other)
    {
        _balancer.Pin(other.Port);
        var dashboard = new Uri($"http://127.0.0.1:{_balancer.Port}/");
        await using var context = await _chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        var log = BrowserLog.Attach(page);
        await Browser.SignInAsync(page, other, dashboard);
        await page.GotoAsync(new Uri(dashboard, $"sandboxes/{id}").ToString());
        await log.WaitAsync(Assertions.Expect(page.Locator($"[data-testid=other-instance][data-instance={owner.Service<InstanceIdentity>().Id}]")).ToBeVisibleAsync());

        await log.WaitAsync(Assertions.Expect(page.GetByTestId("sandbox-stop")).ToBeEnabledAsync(new() { Timeout = 30_000 }));
        await page.GetByTestId("sandbox-stop").ClickAsync();
        await WaitForStatusAsync(owner, id, "stopped");
        await Assertions.Expect(page.Locator("[data-testid=sandbox-actions] .action-error")).ToHaveCountAsync(0);
        // The owner's SANDBOX_STOPPED reaches this page through Redis: it offers Start.
        await log.WaitAsync(Assertions.Expect(page.GetByTestId("sandbox-start")).ToBeEnabledAsync(new() { Timeout = 30_000 }));
        await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ArtifactsDirectory("instances"), "stopped-from-the-other-instance.png") });
        await page.GetByTestId("sandbox-start").ClickAsync();
        await WaitForStatusAsync(owner, id, "running");

        await log.WaitAsync(Assertions.Expect(page.GetByTestId("sandbox-delete")).ToBeEnabledAsync(new() { Timeout = 30_000 }));
        await page.GetByTestId("sandbox-delete").ClickAsync();
        await page.GetByTestId("sandbox-delete-confirm").ClickAsync();
        for (var deadline = DateTime.UtcNow.AddSeconds(60); (await owner.Http.GetAsync($"api/v1/sandboxes/{id}")).StatusCode != System.Net.HttpStatusCode.NotFound; await Task.Delay(200))
        {
            Assert.True(DateTime.UtcNow < deadline, $"sandbox {id} was not deleted on its instance from the other's dashboard");
        }
    }

    private static async Task WaitForStatusAsync(LivePreviewHost host, string id, string status)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(60); ; await Task.Delay(200))
        {
            var now = (await host.Http.GetFromJsonAsync<System.Text.Json.JsonElement>($"api/v1/sandboxes/{id}")).GetProperty("status").GetString();
            if (now == status)
            {
                return;
            }
            Assert.True(DateTime.UtcNow < deadline, $"sandbox {id} is {now} on its instance, not {status}");
        }
    }

    private static async Task EditAsync(HttpClient client, string id, string heading)
    {
        var source = await client.GetStringAsync($"api/v1/sandboxes/{id}/files/src/App.tsx");
        var start = source.IndexOf("<h1>", StringComparison.Ordinal) + 4;
        var end = source.IndexOf("</h1>", start, StringComparison.Ordinal);
        using var put = await client.PutAsync($"api/v1/sandboxes/{id}/files/src/App.tsx", new StringContent(source[..start] + heading + source[end..]));
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
    }

    private static async Task<System.Text.Json.JsonElement> WaitForReadyAsync(HttpClient client, string id)
    {
        for (var deadline = DateTime.UtcNow.AddMinutes(3); ; await Task.Delay(200))
        {
            using var response = await client.GetAsync($"api/v1/preview/sandbox/{id}");
            if (response.IsSuccessStatusCode && await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>() is var body
                && body.GetProperty("status").GetString() == "ready")
            {
                return body;
            }
            Assert.True(DateTime.UtcNow < deadline, $"preview of {id} not ready through the balancer: {(int)response.StatusCode}");
        }
    }

    private Dictionary<string, string?> Settings(string id, string database)
    {
        var settings = InstanceSettings.For(id, second: id == "lp-b", "lpinst_e2e_" + id[^1], SharedAdminKey, Secret, database, _redis.ConnectionString);
        settings["LivePreview:Previews:PublicPort"] = _balancer.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return settings;
    }
}
