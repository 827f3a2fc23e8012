using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using LivePreview.Persistence;
using LivePreview.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace LivePreview.Tests.WarmPool;

/// <summary>Session starts against a real pool of react-vite sandboxes: hits, misses, refills, and what the pool reports.</summary>
[Collection(ServiceCollection.Name)]
public sealed class WarmPoolClaimTests : IAsyncLifetime
{
    private LivePreviewHost? _host;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAndCleanAsync();
        }
    }

    [Fact]
    public async Task Eight_concurrent_session_starts_against_a_pool_of_two_give_eight_distinct_sandboxes_the_two_ready_ones_warm()
    {
        _host = await PoolTesting.StartAsync(size: 2);
        var pooled = (await _host.WaitForPoolAsync(p => p.Int("ready") == 2, "2 ready")).MemberIds();

        var sessions = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => _host.StartSessionAsync()));

        var sandboxIds = sessions.Select(s => s.GetProperty("sandbox_id").GetString()!).ToList();
        Assert.Equal(8, sandboxIds.Distinct().Count());
        var warm = sessions.Where(s => pooled.Contains(s.GetProperty("sandbox_id").GetString()!)).ToList();
        Assert.Equal(2, warm.Count);
        foreach (var session in warm)
        {
            Assert.Equal("ready", session.GetProperty("preview_status").GetString());
            using var page = await _host.Http.GetAsync(session.GetProperty("preview_url").GetString());
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("<div id=\"root\">", await page.Content.ReadAsStringAsync());
        }
        var pool = (await _host.ReactPoolAsync())!.Value;
        // Starts that found none ready may have waited for a replacement already starting (then a hit too) or started cold.
        var (hits, misses) = (pool.Int("hits"), pool.Int("misses"));
        Assert.True(hits >= 2 && hits + misses == 8, $"{hits} hits, {misses} misses");
        Assert.DoesNotContain(pool.MemberIds(), sandboxIds.Contains);

        await using var db = await _host.Service<IDbContextFactory<LivePreviewDbContext>>().CreateDbContextAsync();
        var claims = await db.PoolEntries.Where(e => e.ClaimedAt != null).ToListAsync();
        Assert.Equal(hits, claims.Count);
        Assert.Subset(claims.Select(c => c.SandboxId).ToHashSet(), pooled.ToHashSet());
        Assert.Subset(sessions.Select(s => s.GetProperty("id").GetString()!).ToHashSet(), claims.Select(c => c.ClaimedBy!).ToHashSet());
        Assert.All(claims, c => Assert.Equal(c.SandboxId, sessions.Single(s => s.GetProperty("id").GetString() == c.ClaimedBy).GetProperty("sandbox_id").GetString()));
        // The cold ones come up too; ended one by one once up (deleting a sandbox whose dev server is still starting is another test's subject).
        foreach (var session in sessions)
        {
            await _host.WaitForPreviewAsync(session.GetProperty("sandbox_id").GetString()!);
            await _host.EndSessionAsync(session);
        }
    }

    [Fact]
    public async Task A_plain_sandbox_create_through_the_api_claims_a_ready_member_with_its_preview_ready()
    {
        _host = await PoolTesting.StartAsync(size: 1);
        var member = Assert.Single((await _host.WaitForPoolAsync(p => p.Int("ready") == 1, "1 ready")).MemberIds());

        using var response = await _host.Http.PostAsJsonAsync("api/v1/sandboxes", new { framework = "react-vite" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var sandbox = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(member, sandbox.GetProperty("id").GetString());
        Assert.Equal("ready", Assert.Single(sandbox.GetProperty("previews").EnumerateArray()).GetProperty("status").GetString());
        Assert.Equal(1, (await _host.ReactPoolAsync())!.Value.Int("hits"));
        await using var db = await _host.Service<IDbContextFactory<LivePreviewDbContext>>().CreateDbContextAsync();
        var entry = await db.PoolEntries.SingleAsync(e => e.SandboxId == member);
        Assert.Equal("api", entry.ClaimedBy);
        Assert.NotNull((await db.Sandboxes.SingleAsync(s => s.Id == member)).Owner);
    }

    [Fact]
    public async Task A_create_with_no_member_ready_waits_for_the_one_starting_instead_of_starting_a_sandbox_cold()
    {
        _host = await PoolTesting.StartAsync(size: 1);
        var first = Assert.Single((await _host.WaitForPoolAsync(p => p.Int("ready") == 1, "1 ready")).MemberIds());
        using (var claimed = await _host.Http.PostAsJsonAsync("api/v1/sandboxes", new { framework = "react-vite" }))
        {
            Assert.Equal(first, (await claimed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString());
        }
        var replacement = Assert.Single((await _host.WaitForPoolAsync(p => p.Int("starting") == 1, "a replacement starting")).MemberIds("starting"));

        using var response = await _host.Http.PostAsJsonAsync("api/v1/sandboxes", new { framework = "react-vite" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var sandbox = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(replacement, sandbox.GetProperty("id").GetString());
        Assert.Equal("ready", Assert.Single(sandbox.GetProperty("previews").EnumerateArray()).GetProperty("status").GetString());
        var pool = (await _host.ReactPoolAsync())!.Value;
        Assert.Equal((2, 0), (pool.Int("hits"), pool.Int("misses")));
        // No sandbox was started cold: besides the two claimed there are only the pool's own (the next replacement).
        var all = (await _host.Http.GetFromJsonAsync<JsonElement>("api/v1/sandboxes")).EnumerateArray().Select(s => s.GetProperty("id").GetString()!);
        var members = (await _host.ReactPoolAsync())!.Value.MemberIds();
        Assert.Equal(new[] { first, replacement }.Order(), all.Except(members).Order());
    }

    [Fact]
    public async Task After_claims_the_pool_refills_to_its_size_with_new_sandboxes()
    {
        _host = await PoolTesting.StartAsync(size: 2);
        var first = (await _host.WaitForPoolAsync(p => p.Int("ready") == 2, "2 ready")).MemberIds();

        var sessions = new[] { await _host.StartSessionAsync(), await _host.StartSessionAsync() };
        Assert.Equal(first.Order(), sessions.Select(s => s.GetProperty("sandbox_id").GetString()).Order());

        var refilled = await _host.WaitForPoolAsync(p => p.Int("ready") == 2 && !p.MemberIds().Intersect(first).Any(), "2 new ready");
        Assert.Equal((2, 0, 0), (refilled.Int("hits"), refilled.Int("misses"), refilled.Int("starting")));
        var all = await _host.Http.GetFromJsonAsync<JsonElement>("api/v1/sandboxes");
        Assert.Equal(4, all.GetArrayLength());
        foreach (var session in sessions)
        {
            await _host.EndSessionAsync(session);
        }
    }

    [Fact]
    public async Task With_size_zero_nothing_is_pooled_and_every_start_is_a_miss()
    {
        _host = await PoolTesting.StartAsync(size: 0);

        var session = await _host.StartSessionAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));

        var pool = await _host.Http.GetFromJsonAsync<JsonElement>("api/v1/pool");
        Assert.False(pool.GetProperty("enabled").GetBoolean());
        var react = (await _host.ReactPoolAsync())!.Value;
        Assert.Equal((0, 0, 1, 0), (react.Int("target_size"), react.Int("hits"), react.Int("misses"), react.GetProperty("members").GetArrayLength()));
        var all = await _host.Http.GetFromJsonAsync<JsonElement>("api/v1/sandboxes");
        Assert.Equal([session.GetProperty("sandbox_id").GetString()], all.EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        await _host.EndSessionAsync(session);
    }

    [Fact]
    public async Task The_pool_api_metrics_and_dashboard_show_the_pool_and_the_dashboard_hides_its_sandboxes()
    {
        _host = await PoolTesting.StartAsync(size: 1);
        var pool = await _host.WaitForPoolAsync(p => p.Int("ready") == 1 && p.GetProperty("members")[0].GetProperty("memory_bytes").ValueKind == JsonValueKind.Number,
            "1 ready with its memory measured");
        var pooled = pool.MemberIds().Single();
        Assert.InRange(pool.GetProperty("members")[0].GetProperty("memory_bytes").GetInt64(), 30L << 20, 2L << 30);
        var dashboard = await _host.Http.GetStringAsync("/");
        Assert.Contains("data-testid=\"pool-card\"", dashboard);
        Assert.DoesNotContain(pooled, dashboard);
        var before = await _host.Http.GetStringAsync("/metrics");
        Assert.Matches(Metric("livepreview_warmpool_sandbox_memory_bytes", "sandbox_id=\"" + pooled + "\""), before);

        var session = await _host.StartSessionAsync();

        Assert.Equal(pooled, session.GetProperty("sandbox_id").GetString());
        pool = (await _host.ReactPoolAsync())!.Value;
        Assert.Equal((1, 1, 0), (pool.Int("target_size"), pool.Int("hits"), pool.Int("misses")));
        Assert.Equal(1.0, pool.GetProperty("hit_rate").GetDouble());
        Assert.Contains(pooled, await _host.Http.GetStringAsync("/"));
        await _host.WaitForPoolAsync(p => p.Int("ready") == 1, "refilled");
        var metrics = await _host.Http.GetStringAsync("/metrics");
        Assert.Matches(Metric("livepreview_warmpool_hits_total", "framework=\"react-vite\"", " 1"), metrics);
        Assert.Matches(Metric("livepreview_warmpool_claim_duration_seconds_count", "framework=\"react-vite\"", " 1"), metrics);
        Assert.Matches(Metric("livepreview_session_start_duration_seconds_count", "start=\"warm\"", " 1"), metrics);
        Assert.Matches(Metric("livepreview_warmpool_replenish_duration_seconds_count", "framework=\"react-vite\""), metrics);
        Assert.Matches(Metric("livepreview_warmpool_sandboxes", "state=\"ready\"", " 1"), metrics);
        Assert.Matches(Metric("livepreview_warmpool_target", "framework=\"react-vite\"", " 1"), metrics);
        await _host.EndSessionAsync(session);
    }

    /// <summary>A Prometheus sample line: the name, a label set holding <paramref name="label"/>, then the value.</summary>
    internal static Regex Metric(string name, string label, string value = " ") =>
        new($"(?m)^{Regex.Escape(name)}\\{{[^}}]*{Regex.Escape(label)}[^}}]*\\}}{Regex.Escape(value)}");
}
