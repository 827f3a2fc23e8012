using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using Bunit;
using LivePreview.Auth;
using LivePreview.Tests.Support;
using LivePreview.Ui.Dashboard;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;

namespace LivePreview.Tests.RateLimits;

/// <summary>The dashboard calls the managers directly; its buttons count against the same per-user buckets as the API.</summary>
[Collection(LivePreview.Tests.Support.ServiceCollection.Name)]
public sealed class DashboardRateLimitTests
{
    [Fact]
    public async Task The_dashboards_Create_sandbox_shares_the_users_limit_with_the_API_and_says_the_refusal()
    {
        await using var host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:RateLimits:SandboxCreates:PermitLimit"] = "2",
            ["LivePreview:RateLimits:SandboxCreates:Window"] = "00:01:00",
            ["LivePreview:Sandboxes:AutoStartPreview"] = "false",
        });
        using var alice = await RateLimitTesting.ClientForAsync(host, "alice");
        await using var ui = NewUi(host, "alice");

        var page = ui.Render<NewSandbox>();
        page.Find("[data-testid=create-sandbox]").Click();
        page.WaitForAssertion(() => Assert.Contains("/sandboxes/", ui.Services.GetRequiredService<NavigationManager>().Uri, StringComparison.Ordinal));
        using (var created = await alice.PostAsJsonAsync("api/v1/sandboxes", new { framework = "react-vite" }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        using (var refused = await alice.PostAsJsonAsync("api/v1/sandboxes", new { framework = "react-vite" }))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        }
        var again = ui.Render<NewSandbox>();
        again.Find("[data-testid=create-sandbox]").Click();

        again.WaitForAssertion(() => Assert.Contains("LivePreview:RateLimits:SandboxCreates", again.Find("[data-testid=create-error]").TextContent, StringComparison.Ordinal));
        Assert.Contains("Retry in", again.Find("[data-testid=create-error]").TextContent, StringComparison.Ordinal);
        var sandboxes = await alice.GetFromJsonAsync<JsonElement>("api/v1/sandboxes");
        Assert.Equal(2, sandboxes.GetArrayLength());
        var limited = await host.Http.GetFromJsonAsync<JsonElement>("api/v1/events?types=RATE_LIMITED");
        var payload = Assert.Single(limited.GetProperty("events").EnumerateArray()).GetProperty("payload");
        // One event per user, limit and window: the API's refusal was reported, the dashboard's in the same minute is counted.
        Assert.Equal(("alice", "SandboxCreates", "POST"), (payload.GetProperty("user").GetString(), payload.GetProperty("limit").GetString(), payload.GetProperty("method").GetString()));
    }

    [Fact]
    public async Task The_dashboards_refusal_is_reported_as_RATE_LIMITED_from_the_UI()
    {
        await using var host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:RateLimits:SandboxCreates:PermitLimit"] = "1",
            ["LivePreview:RateLimits:SandboxCreates:Window"] = "00:01:00",
            ["LivePreview:Sandboxes:AutoStartPreview"] = "false",
        });
        await using var ui = NewUi(host, "carol");

        var page = ui.Render<NewSandbox>();
        page.Find("[data-testid=create-sandbox]").Click();
        page.WaitForAssertion(() => Assert.Contains("/sandboxes/", ui.Services.GetRequiredService<NavigationManager>().Uri, StringComparison.Ordinal));
        var again = ui.Render<NewSandbox>();
        again.Find("[data-testid=create-sandbox]").Click();

        again.WaitForAssertion(() => Assert.Contains("LivePreview:RateLimits:SandboxCreates", again.Find("[data-testid=create-error]").TextContent, StringComparison.Ordinal));
        var limited = await host.Http.GetFromJsonAsync<JsonElement>("api/v1/events?types=RATE_LIMITED");
        var payload = Assert.Single(limited.GetProperty("events").EnumerateArray()).GetProperty("payload");
        Assert.Equal(("carol", "UI"), (payload.GetProperty("user").GetString(), payload.GetProperty("method").GetString()));
    }

    [Fact]
    public async Task The_prototype_pages_Start_is_refused_when_the_API_used_up_the_users_session_starts()
    {
        await using var host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:RateLimits:SessionCreates:PermitLimit"] = "1",
            ["LivePreview:RateLimits:SessionCreates:Window"] = "01:00:00",
        });
        using var dave = await RateLimitTesting.ClientForAsync(host, "dave");
        using (var invalid = await dave.PostAsJsonAsync("api/v1/prototype/session", new { framework = "nosuchframework" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        }
        await using var ui = NewUi(host, "dave");

        var page = ui.Render<LivePreview.Ui.Prototype.PrototypePage>();
        page.Find("[data-testid=prototype-start]").Click();

        page.WaitForAssertion(() => Assert.Contains("LivePreview:RateLimits:SessionCreates", page.Find("[data-testid=prototype-start-error]").TextContent, StringComparison.Ordinal));
        Assert.StartsWith("Too many session starts:", page.Find("[data-testid=prototype-start-error]").TextContent.Trim(), StringComparison.Ordinal);
        Assert.Equal(0, (await host.Http.GetFromJsonAsync<JsonElement>("api/v1/sandboxes")).GetArrayLength());
    }

    [Fact]
    public async Task The_prototype_pages_Send_is_refused_when_the_API_used_up_the_users_prompts()
    {
        await using var host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:RateLimits:Prompts:PermitLimit"] = "1",
            ["LivePreview:RateLimits:Prompts:Window"] = "01:00:00",
            ["LivePreview:Sandboxes:AutoStartPreview"] = "false",
        });
        using var erin = await RateLimitTesting.ClientForAsync(host, "erin");
        using var started = await erin.PostAsJsonAsync("api/v1/prototype/session", new { framework = "react-vite", agent = "replay" });
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        var sessionId = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        using (var unknown = await erin.PostAsJsonAsync("api/v1/prototype/session/nosuchsession/prompt", new { prompt = "hi" }))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }
        await using var ui = NewUi(host, "erin");
        ui.JSInterop.Mode = JSRuntimeMode.Loose;

        var page = ui.Render<LivePreview.Ui.Prototype.PrototypePage>(p => p.Add(x => x.SessionId, sessionId));
        page.WaitForAssertion(() => page.Find("[data-testid=prototype-prompt]"));
        page.Find("[data-testid=prototype-prompt]").Input("Make the heading say hello");
        page.Find("[data-testid=prototype-prompt-form]").Submit();

        page.WaitForAssertion(() => Assert.Contains("LivePreview:RateLimits:Prompts", page.Find("[data-testid=prototype-prompt-problem]").TextContent, StringComparison.Ordinal));
        Assert.Equal("429", page.Find("[data-testid=prototype-prompt-problem]").GetAttribute("data-status"));
        var session = await erin.GetFromJsonAsync<JsonElement>($"api/v1/prototype/session/{sessionId}");
        Assert.Equal(0, session.GetProperty("turns").GetArrayLength());
    }

    /// <summary>bUnit with the host's real services, signed in as <paramref name="user"/>.</summary>
    internal static BunitContext NewUi(LivePreviewHost host, string user) =>
        NewUi(host, new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, user), new Claim(ClaimTypes.Name, user)], AuthSchemes.Cookie)));

    internal static BunitContext NewUi(LivePreviewHost host, ClaimsPrincipal user)
    {
        var ui = new BunitContext();
        ui.Services.AddSingleton<AuthenticationStateProvider>(new SignedIn(user));
        ui.Services.AddFallbackServiceProvider(host.App.Services);
        ui.SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        return ui;
    }

    private sealed class SignedIn(ClaimsPrincipal user) : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(user));
    }
}
