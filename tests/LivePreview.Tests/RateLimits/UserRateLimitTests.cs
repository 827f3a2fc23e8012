using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Hosting;
using LivePreview.Tests.Auth;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.RateLimits;

/// <summary>Per-user rate limits on the API: 429 ProblemDetails naming the limit and its setting, with Retry-After.</summary>
[Collection(ServiceCollection.Name)]
public sealed class UserRateLimitTests
{
    [Fact]
    public async Task The_third_sandbox_create_in_a_minute_is_429_with_Retry_After_and_another_user_is_not_affected()
    {
        await using var host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:RateLimits:SandboxCreates:PermitLimit"] = "2",
            ["LivePreview:RateLimits:SandboxCreates:Window"] = "00:01:00",
            ["LivePreview:Sandboxes:AutoStartPreview"] = "false",
        });
        using var alice = await RateLimitTesting.ClientForAsync(host, "alice");
        using var bob = await RateLimitTesting.ClientForAsync(host, "bob");

        for (var i = 0; i < 2; i++)
        {
            using var created = await alice.PostAsJsonAsync("api/v1/sandboxes", new { framework = "react-vite" });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        using var refused = await alice.PostAsJsonAsync("api/v1/sandboxes", new { framework = "react-vite" });
        using var bobs = await bob.PostAsJsonAsync("api/v1/sandboxes", new { framework = "react-vite" });

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var retryAfter = Assert.Single(refused.Headers.GetValues("Retry-After"));
        Assert.InRange(int.Parse(retryAfter, System.Globalization.CultureInfo.InvariantCulture), 1, 30);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
        Assert.Equal("Too many sandbox creations", problem.GetProperty("title").GetString());
        Assert.Equal("SandboxCreates", problem.GetProperty("limit").GetString());
        Assert.Equal("LivePreview:RateLimits:SandboxCreates", problem.GetProperty("setting").GetString());
        Assert.Equal(retryAfter, problem.GetProperty("retry_after_seconds").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture));
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("LivePreview:RateLimits:SandboxCreates", detail, StringComparison.Ordinal);
        Assert.Contains($"Retry in {retryAfter} s", detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, bobs.StatusCode);
        var all = await host.Http.GetFromJsonAsync<JsonElement>("api/v1/sandboxes");
        Assert.Equal(3, all.GetArrayLength());
    }

    [Fact]
    public async Task Prompts_are_limited_per_user_across_sessions_and_anonymous_requests_are_401_not_429()
    {
        await using var host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:RateLimits:Prompts:PermitLimit"] = "1",
            ["LivePreview:RateLimits:Prompts:Window"] = "01:00:00",
        });
        using var alice = await RateLimitTesting.ClientForAsync(host, "alice");
        using var anonymous = AuthClients.Anonymous(host);

        // The limit counts requests, whatever they are answered: an unknown session is a 404 behind it.
        using var first = await alice.PostAsJsonAsync("api/v1/prototype/session/nosuchsession/prompt", new { prompt = "hi" });
        using var second = await alice.PostAsJsonAsync("api/v1/prototype/session/othersession/prompt", new { prompt = "hi" });
        using var stranger = await anonymous.PostAsJsonAsync("api/v1/prototype/session/nosuchsession/prompt", new { prompt = "hi" });
        using var admin = await host.Http.PostAsJsonAsync("api/v1/prototype/session/nosuchsession/prompt", new { prompt = "hi" });

        Assert.Equal(HttpStatusCode.NotFound, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal("LivePreview:RateLimits:Prompts", (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("setting").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, stranger.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, admin.StatusCode);
    }

    [Fact]
    public async Task Command_starts_are_limited_per_user_over_all_sandboxes_with_Retry_After()
    {
        await using var host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:RateLimits:Commands:PermitLimit"] = "2",
            ["LivePreview:RateLimits:Commands:Window"] = "01:00:00",
        });
        using var alice = await RateLimitTesting.ClientForAsync(host, "alice");
        using var bob = await RateLimitTesting.ClientForAsync(host, "bob");
        var start = new { command = new[] { "true" } };

        // Counted whatever they are answered: sandboxes that are not hers are 404 behind the limit.
        using var first = await alice.PostAsJsonAsync("api/v1/sandboxes/sbnosuch1/commands", start);
        using var second = await alice.PostAsJsonAsync("api/v1/sandboxes/sbnosuch2/commands", start);
        using var third = await alice.PostAsJsonAsync("api/v1/sandboxes/sbnosuch1/commands", start);
        using var listing = await alice.GetAsync("api/v1/sandboxes/sbnosuch1/commands");
        using var bobs = await bob.PostAsJsonAsync("api/v1/sandboxes/sbnosuch1/commands", start);

        Assert.Equal(HttpStatusCode.NotFound, first.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, second.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        var retryAfter = int.Parse(Assert.Single(third.Headers.GetValues("Retry-After")), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 1800);
        var problem = await third.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Too many command starts", problem.GetProperty("title").GetString());
        Assert.Equal("Commands", problem.GetProperty("limit").GetString());
        Assert.Equal("LivePreview:RateLimits:Commands", problem.GetProperty("setting").GetString());
        Assert.Contains("2 command starts per 1 h", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        // Reading commands is not a start.
        Assert.Equal(HttpStatusCode.NotFound, listing.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, bobs.StatusCode);
    }

    [Fact]
    public async Task A_limit_turned_off_refuses_nothing_while_the_others_still_hold()
    {
        await using var host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:RateLimits:Prompts:PermitLimit"] = "1",
            ["LivePreview:RateLimits:Prompts:Window"] = "01:00:00",
            ["LivePreview:RateLimits:Prompts:Enabled"] = "false",
            ["LivePreview:RateLimits:SessionCreates:PermitLimit"] = "1",
            ["LivePreview:RateLimits:SessionCreates:Window"] = "01:00:00",
        });

        var prompts = await StatusesAsync(host, 3, "api/v1/prototype/session/nosuchsession/prompt", new { prompt = "hi" });
        var starts = await StatusesAsync(host, 2, "api/v1/prototype/session", new { framework = "nosuchframework" });

        Assert.Equal([HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound], prompts);
        Assert.Equal([HttpStatusCode.BadRequest, HttpStatusCode.TooManyRequests], starts);
    }

    [Fact]
    public async Task Rate_limits_turned_off_as_a_whole_refuse_nothing()
    {
        await using var host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:RateLimits:Enabled"] = "false",
            ["LivePreview:RateLimits:Prompts:PermitLimit"] = "1",
            ["LivePreview:RateLimits:SessionCreates:PermitLimit"] = "1",
        });

        var prompts = await StatusesAsync(host, 3, "api/v1/prototype/session/nosuchsession/prompt", new { prompt = "hi" });
        var starts = await StatusesAsync(host, 3, "api/v1/prototype/session", new { framework = "nosuchframework" });

        Assert.All(prompts, s => Assert.Equal(HttpStatusCode.NotFound, s));
        Assert.All(starts, s => Assert.Equal(HttpStatusCode.BadRequest, s));
    }

    [Fact]
    public async Task A_limit_out_of_range_stops_the_service_at_start_naming_the_setting()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:RateLimits:SessionCreates:PermitLimit"] = "0",
        }));

        Assert.Contains("LivePreview:RateLimits:SessionCreates", error.Message, StringComparison.Ordinal);
        Assert.Contains("Enabled=false", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refusal_said_in_the_dashboard_is_the_APIs_429_problem()
    {
        var refusal = new LivePreview.RateLimits.RateLimitRefusal(LivePreview.RateLimits.UserLimit.SessionCreates, "alice",
            new LivePreview.RateLimits.RateLimitSetting { PermitLimit = 4, Window = TimeSpan.FromMinutes(2) }, TimeSpan.FromSeconds(29.2));

        var (status, title, detail) = ApiProblems.Map(new LivePreview.RateLimits.RateLimitedException(refusal));

        Assert.Equal(429, status);
        Assert.Equal("Too many session starts", title);
        Assert.Equal("User 'alice' may make 4 session starts per 2 min (at once, then one more every 30 s); " +
            "this is the limit LivePreview:RateLimits:SessionCreates. Retry in 30 s.", detail);
    }

    private static async Task<List<HttpStatusCode>> StatusesAsync(LivePreviewHost host, int count, string path, object body)
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < count; i++)
        {
            using var response = await host.Http.PostAsJsonAsync(path, body);
            statuses.Add(response.StatusCode);
        }
        return statuses;
    }
}
