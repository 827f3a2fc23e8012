using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Events;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Auth;

/// <summary>
/// The proof of ownership: every route of the OpenAPI document, asked by a second user with the owner's real ids,
/// answers exactly as it does for ids that do not exist (401/403/404, never the owner's data), and the event API and
/// socket give the second user none of the owner's events; asked by the owner, every route works. The last step
/// uses the owner's resources up (stops and deletes them), so the steps run in order.
/// </summary>
[Collection(ServiceCollection.Name)]
[TestCaseOrderer(InOrder.TypeName, InOrder.Assembly)]
public sealed class EveryRouteAsSecondUserTests(OwnerWorld world) : IClassFixture<OwnerWorld>
{
    [Fact, Step(1)]
    public async Task Every_route_asked_by_a_second_user_with_the_owners_ids_answers_like_an_unknown_id_and_never_with_the_owners_data()
    {
        using var bob = AuthClients.WithKey(world.Host, world.BobKey);
        var routes = await RouteWalk.RoutesAsync(world.Host);
        Assert.True(routes.Count > 20, $"Only {routes.Count} routes in the OpenAPI document.");
        var alice = await WithGrantAsync(world.Alice, routes);
        var unknown = RouteValues.Unknown();

        foreach (var route in routes.Where(r => r.Template != "/api/v1/health"))
        {
            var (status, body) = await SendAsync(bob, route, alice);
            var (unknownStatus, unknownBody) = await SendAsync(bob, route, unknown);

            if (RouteWalk.NamesAResource(route))
            {
                Assert.True(status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound, $"{route} as bob: {(int)status} {body}");
            }
            Assert.True(route.IsAdminOnly == (status == HttpStatusCode.Forbidden), $"{route} as bob: {(int)status} (403 is for admin-only routes, 404 for what is not yours)");
            Assert.True((unknownStatus, RouteWalk.Normalize(unknownBody, unknown)) == (status, RouteWalk.Normalize(body, alice)),
                $"{route} as bob: the owner's ids got {(int)status} {RouteWalk.Normalize(body, alice)}, unknown ids {(int)unknownStatus} {RouteWalk.Normalize(unknownBody, unknown)}");
            AssertNoSecrets(route, "bob", RouteWalk.Normalize(body, alice));
        }
    }

    [Fact, Step(2)]
    public async Task A_user_who_owns_nothing_lists_no_sandboxes_no_events_and_no_pool_members()
    {
        using var carol = AuthClients.WithKey(world.Host, world.CarolKey);

        Assert.Empty((await carol.GetFromJsonAsync<JsonElement>("api/v1/sandboxes")).EnumerateArray());
        Assert.Empty((await carol.GetFromJsonAsync<JsonElement>("api/v1/events?after=0&limit=1000")).GetProperty("events").EnumerateArray());
        Assert.Empty((await carol.GetFromJsonAsync<JsonElement>($"api/v1/events?after=0&sandbox_id={world.Alice.SandboxId}")).GetProperty("events").EnumerateArray());
        var pool = await carol.GetFromJsonAsync<JsonElement>("api/v1/pool");
        Assert.All(pool.GetProperty("frameworks").EnumerateArray(), f =>
        {
            Assert.Empty(f.GetProperty("members").EnumerateArray());
            Assert.Empty(f.GetProperty("last_evictions").EnumerateArray());
        });

        using var alice = AuthClients.WithKey(world.Host, world.AliceKey);
        var own = await alice.GetFromJsonAsync<JsonElement>("api/v1/sandboxes");
        Assert.Equal([world.Alice.SandboxId], own.EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        var events = (await alice.GetFromJsonAsync<JsonElement>("api/v1/events?after=0&limit=1000")).GetProperty("events").EnumerateArray().ToList();
        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.Equal(world.Alice.SandboxId, e.GetProperty("sandbox_id").GetString()));
    }

    [Fact, Step(3)]
    public async Task The_event_socket_streams_a_second_user_none_of_the_owners_events_stored_or_live_while_the_owner_gets_them()
    {
        await using var bobStream = await EventStreamClient.ConnectAsync(world.Host, "after=0", world.BobKey);
        await using var aliceStream = await EventStreamClient.ConnectAsync(world.Host, "after=0", world.AliceKey);
        using var alice = AuthClients.WithKey(world.Host, world.AliceKey);
        using var bob = AuthClients.WithKey(world.Host, world.BobKey);

        // A live event of alice's, then one of bob's own: the bus delivers in sequence order, so a leak of the
        // first would reach bob before the second.
        using var written = await alice.PutAsync($"api/v1/sandboxes/{world.Alice.SandboxId}/files/src/owned.txt", new StringContent("alice's\n"));
        Assert.Equal(HttpStatusCode.Created, written.StatusCode);
        using var created = await bob.PostAsJsonAsync("api/v1/sandboxes", new { framework = "react-vite" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var bobsSandbox = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        var seenByBob = new List<JsonElement>();
        do
        {
            seenByBob.Add(await bobStream.ReceiveEventAsync(TimeSpan.FromSeconds(30)));
        }
        while (seenByBob[^1].GetProperty("sandbox_id").GetString() != bobsSandbox);
        Assert.Equal("SANDBOX_CREATING", Assert.Single(seenByBob).GetProperty("type").GetString());

        JsonElement aliceEvent;
        do
        {
            aliceEvent = await aliceStream.ReceiveEventAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(world.Alice.SandboxId, aliceEvent.GetProperty("sandbox_id").GetString());
        }
        while (aliceEvent.GetProperty("entity_id").GetString() != "src/owned.txt");

        // Deleted once it is up (deleting a sandbox whose dev server is still starting is another test's subject);
        // SANDBOX_DELETED comes after its row is gone and is still bob's.
        await world.Host.WaitForPreviewAsync(bobsSandbox);
        Assert.Equal(HttpStatusCode.NoContent, (await bob.DeleteAsync($"api/v1/sandboxes/{bobsSandbox}")).StatusCode);
        var bobsEvents = (await bob.GetFromJsonAsync<JsonElement>("api/v1/events?after=0&limit=1000")).GetProperty("events").EnumerateArray().ToList();
        Assert.All(bobsEvents, e => Assert.Equal(bobsSandbox, e.GetProperty("sandbox_id").GetString()));
        Assert.Contains(bobsEvents, e => e.GetProperty("type").GetString() == "SANDBOX_DELETED");
        Assert.Empty((await bob.GetFromJsonAsync<JsonElement>($"api/v1/events?after=0&sandbox_id={world.Alice.SandboxId}")).GetProperty("events").EnumerateArray());
    }

    [Fact, Step(4)]
    public async Task The_owners_sandbox_and_session_pages_are_the_not_found_pages_for_a_second_user_and_the_dashboard_does_not_list_them()
    {
        using var bob = AuthClients.WithKey(world.Host, world.BobKey);
        using var alice = AuthClients.WithKey(world.Host, world.AliceKey);

        var sandboxPage = await PageAsync(bob, $"sandboxes/{world.Alice.SandboxId}");
        var unknownPage = await PageAsync(bob, $"sandboxes/{RouteValues.Unknown().SandboxId}");
        var sessionPage = await PageAsync(bob, $"prototype/{world.Alice.SessionId}");
        var agentSessionPage = await PageAsync(bob, $"sandbox/{world.Alice.SandboxId}/session");
        var dashboard = await PageAsync(bob, "");

        Assert.Contains("data-testid=\"sandbox-gone\"", sandboxPage);
        Assert.Contains("No such sandbox", sandboxPage);
        Assert.Contains("data-testid=\"sandbox-gone\"", unknownPage);
        Assert.Contains("data-testid=\"prototype-gone\"", sessionPage);
        Assert.Contains("data-testid=\"session-sandbox-gone\"", agentSessionPage);
        Assert.Contains("data-testid=\"no-sandboxes\"", dashboard);
        foreach (var (name, page) in new[] { ("sandbox page", sandboxPage), ("session page", sessionPage), ("agent session page", agentSessionPage), ("dashboard", dashboard) })
        {
            AssertNoSecrets(new Route(HttpMethod.Get, name), "bob", page.Replace(world.Alice.SandboxId, "", StringComparison.Ordinal).Replace(world.Alice.SessionId, "", StringComparison.Ordinal));
        }
        Assert.DoesNotContain(world.Alice.SandboxId, dashboard);
        Assert.Contains("data-testid=\"sandbox-id\"", await PageAsync(alice, $"sandboxes/{world.Alice.SandboxId}"));
        Assert.Contains("data-testid=\"session-toolbar\"", await PageAsync(alice, $"sandbox/{world.Alice.SandboxId}/session"));
        Assert.Contains(world.Alice.SandboxId, await PageAsync(alice, ""));
    }

    /// <summary>The page as the server prerenders it for a browser signed in with <paramref name="client"/>'s key.</summary>
    private static async Task<string> PageAsync(HttpClient client, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/html");
        using var response = await client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"/{path}: {(int)response.StatusCode}");
        return await response.Content.ReadAsStringAsync();
    }

    [Fact, Step(5)]
    public async Task Every_route_asked_by_the_owner_succeeds_or_refuses_only_the_request_body_and_admin_only_routes_are_403()
    {
        using var alice = AuthClients.WithKey(world.Host, world.AliceKey);
        var routes = await RouteWalk.RoutesAsync(world.Host);
        var values = await WithGrantAsync(world.Alice, routes);

        foreach (var route in routes.OrderBy(RouteWalk.OwnerOrder))
        {
            var (status, body) = await SendAsync(alice, route, values);

            if (route.IsAdminOnly)
            {
                Assert.True(status == HttpStatusCode.Forbidden, $"{route} as alice: {(int)status} {body}");
                continue;
            }
            Assert.True(status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound) && (int)status < 500,
                $"{route} as the owner: {(int)status} {body}");
            if (route is { Method.Method: "GET", Template: "/api/v1/sandboxes" or "/api/v1/sandboxes/" or "/api/v1/events" or "/api/v1/events/" })
            {
                Assert.Contains(values.SandboxId, body);
            }
        }
        using var gone = await alice.GetAsync($"api/v1/sandboxes/{values.SandboxId}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient client, Route route, RouteValues values)
    {
        using var request = RouteWalk.Request(route, values);
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private void AssertNoSecrets(Route route, string who, string body)
    {
        foreach (var secret in world.Secrets)
        {
            Assert.False(body.Contains(secret, StringComparison.Ordinal), $"{route} as {who} answered with the owner's '{secret}': {body}");
        }
    }

    /// <summary>
    /// When the document has preview grants (another part of issue 9), the owner's routes get a real grant of theirs
    /// to fill <c>{grant…}</c> with; without them nothing needs one.
    /// </summary>
    private async Task<RouteValues> WithGrantAsync(RouteValues values, IReadOnlyList<Route> routes)
    {
        var grants = routes.FirstOrDefault(r => r.Method == HttpMethod.Post && r.Template.EndsWith("/grants", StringComparison.Ordinal));
        if (grants is null || values.GrantId is not null)
        {
            return values;
        }
        using var alice = AuthClients.WithKey(world.Host, world.AliceKey);
        using var response = await alice.SendAsync(RouteWalk.Request(grants, values));
        Assert.True(response.IsSuccessStatusCode, $"{grants} as the owner: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return values with { GrantId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString() };
    }
}
