using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Persistence;
using LivePreview.Tests.Auth;
using LivePreview.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace LivePreview.Tests.Drills;

/// <summary>A service with alice's real resources (<see cref="OwnerWorld"/>), without rate limits: a refusal must come from the validation under test, not from a 429.</summary>
public sealed class BadInputWorld : OwnerWorld
{
    protected override Dictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        settings["LivePreview:RateLimits:Enabled"] = "false";
        return settings;
    }
}

/// <summary>
/// The bad-input corpus over every route of the OpenAPI document, sent as alice (admin-only routes as the admin) and
/// without a key: every answer a 4xx problem whose title and detail say what was wrong, no 5xx, the service still up, and
/// nothing changed — the data folder's files, the sandboxes' workspaces, the database's rows.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class BadInputTests(BadInputWorld world) : IClassFixture<BadInputWorld>
{
    /// <summary>Events that come without any request (a running dev server's log and ports) or that record a refusal (the audit trail).</summary>
    private static readonly string[] UnrequestedEvents = ["DEV_SERVER_LOG", "PORT_OPENED", "PORT_CLOSED", "SIGN_IN_REFUSED", "ORIGIN_REFUSED", "RATE_LIMITED"];

    [Fact]
    public async Task Every_route_of_the_openapi_document_has_generated_cases_and_every_route_with_a_body_or_a_query_has_hand_written_ones()
    {
        var (routes, cases) = await CorpusAsync();

        Assert.True(routes.Count > 40, $"Only {routes.Count} routes in the OpenAPI document.");
        var document = await world.Host.Http.GetFromJsonAsync<JsonElement>("openapi/v1.json");
        foreach (var route in routes)
        {
            Assert.True(cases.Any(c => c.Route == route && c.Kind != "hand"), $"{route}: no generated case.");
            var operation = document.GetProperty("paths").GetProperty(route.Template).GetProperty(route.Method.Method.ToLowerInvariant());
            var takesInput = operation.TryGetProperty("requestBody", out _)
                || (operation.TryGetProperty("parameters", out var parameters) && parameters.EnumerateArray().Any(p => p.GetProperty("in").GetString() == "query"));
            Assert.False(takesInput && !cases.Any(c => c.Route == route && c.Kind == "hand"),
                $"{route} takes a body or a query but has no hand-written bad inputs: add them to Drills/BadInputCases.cs.");
        }
    }

    [Fact]
    public async Task Every_bad_input_from_a_real_user_is_a_4xx_problem_that_says_what_was_wrong_and_changes_nothing()
    {
        var (_, cases) = await CorpusAsync();
        var before = await SnapshotAsync();

        var failures = new List<string>();
        foreach (var input in cases)
        {
            var key = input.Route.IsAdminOnly ? world.Host.AdminKey : world.AliceKey;
            failures.AddRange(Check(input, await SendAsync(input, key)));
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} bad inputs were not answered right:\n{string.Join("\n", failures.Take(60))}");
        await AssertStillServingAsync();
        AssertUnchanged(before, await SnapshotAsync());
        Assert.False(File.Exists("/tmp/lp-pwned"), "A hostile string ran a command on the host.");
    }

    [Fact]
    public async Task Every_bad_input_without_a_key_is_a_401_problem_that_says_how_to_authenticate_and_changes_nothing()
    {
        var (_, cases) = await CorpusAsync();
        var before = await SnapshotAsync();

        var failures = new List<string>();
        foreach (var input in cases)
        {
            var response = await SendAsync(input, bearer: null);
            failures.AddRange(input.Route.Template == "/api/v1/health"
                ? Check(input with { Expect = "" }, response)
                : response.Status == 401 ? Check(input with { Expect = "Authorization: Bearer" }, response) : [$"{input}: {response.Status} (expected 401) {Clip(response.Body)}"]);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} anonymous bad inputs were not answered right:\n{string.Join("\n", failures.Take(60))}");
        await AssertStillServingAsync();
        AssertUnchanged(before, await SnapshotAsync());
    }

    [Theory]
    [InlineData("NUL escaped in the path", "/api/v1/sandboxes/a%00b", 400)]
    [InlineData("a request line over Kestrel's 8 KB limit", "/api/v1/sandboxes/{long}", 414)]
    public async Task A_request_the_http_server_refuses_before_the_service_is_a_4xx_and_the_service_keeps_serving(string what, string target, int status)
    {
        var response = await RawHttp.SendAsync(world.Host.Port, "GET", target.Replace("{long}", new string('a', 9000), StringComparison.Ordinal), world.AliceKey);

        // Kestrel answers these itself, with an empty body: no middleware (so no ProblemDetails) runs for a request it cannot parse.
        Assert.True(response.Status == status, $"{what}: {response.Status} {Clip(response.Body)}");
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("src/e\u0301t\u00e9.tsx")]
    [InlineData("src/\u0430dmin.tsx")]
    public async Task A_file_with_a_non_ascii_name_is_written_and_answered_with_an_escaped_location_not_a_500(string path)
    {
        using var alice = AuthClients.WithKey(world.Host, world.AliceKey);
        var address = $"api/v1/sandboxes/{world.Alice.SandboxId}/files/{string.Join('/', path.Split('/').Select(Uri.EscapeDataString))}";

        using var written = await alice.PutAsync(address, new StringContent("export {};\n"));

        Assert.Equal(System.Net.HttpStatusCode.Created, written.StatusCode);
        Assert.Equal("/" + address, written.Headers.Location!.OriginalString);
        Assert.Equal(path, (await written.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("path").GetString());
        Assert.Equal("export {};\n", await alice.GetStringAsync(address));
        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await alice.DeleteAsync(address)).StatusCode);
    }

    private async Task<(IReadOnlyList<Route> Routes, List<BadInput> Cases)> CorpusAsync()
    {
        var document = await world.Host.Http.GetFromJsonAsync<JsonElement>("openapi/v1.json");
        var routes = await RouteWalk.RoutesAsync(world.Host);
        var values = world.Alice with { GrantId = await GrantAsync(), TaskId = world.Alice.TaskId };
        return (routes, [.. BadInputCorpus.Build(document, values), .. BadInputCases.Build(routes, values)]);
    }

    private async Task<string> GrantAsync()
    {
        using var alice = AuthClients.WithKey(world.Host, world.AliceKey);
        return (await world.Host.CreateGrantAsync(world.Alice.PreviewId, client: alice)).GetProperty("id").GetString()!;
    }

    private async Task<RawResponse> SendAsync(BadInput input, string? bearer)
    {
        try
        {
            return await RawHttp.SendAsync(world.Host.Port, input.Method, input.Target, bearer, input.Body, input.ContentType);
        }
        catch (InvalidDataException e)
        {
            return new RawResponse(0, null, $"{input}: {e.Message}", null);
        }
    }

    /// <summary>What is wrong with the answer to one bad input; nothing when it is a 4xx problem that names the mistake.</summary>
    private static IEnumerable<string> Check(BadInput input, RawResponse response)
    {
        if (response.Status is < 400 or > 499)
        {
            yield return $"{input}: {response.Status} {Clip(response.Body)}";
            yield break;
        }
        if (response.ContentType?.StartsWith("application/problem+json", StringComparison.Ordinal) != true)
        {
            yield return $"{input}: {response.Status} as '{response.ContentType}', not a problem: {Clip(response.Body)}";
            yield break;
        }
        var problem = JsonDocument.Parse(response.Body).RootElement;
        var title = problem.TryGetProperty("title", out var t) ? t.GetString() ?? "" : "";
        var detail = problem.TryGetProperty("detail", out var d) ? d.GetString() ?? "" : "";
        if (title.Length == 0 || detail.Length < 15 || detail.Contains("Something went wrong", StringComparison.Ordinal))
        {
            yield return $"{input}: {response.Status} problem without a detail that says what was wrong: {Clip(response.Body)}";
        }
        else if (input.Expect is { Length: > 0 } expect && !(title + " " + detail).Contains(expect, StringComparison.OrdinalIgnoreCase))
        {
            yield return $"{input}: {response.Status} does not name '{expect}': {title}: {Clip(detail)}";
        }
    }

    private static string Clip(string text) => text.Length > 300 ? text[..300] + "…" : text;

    private async Task AssertStillServingAsync()
    {
        using var alice = AuthClients.WithKey(world.Host, world.AliceKey);
        var sandbox = await alice.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{world.Alice.SandboxId}");
        Assert.Equal("running", sandbox.GetProperty("status").GetString());
        Assert.Equal("ok", (await alice.GetFromJsonAsync<JsonElement>("api/v1/health")).GetProperty("status").GetString());
    }

    private sealed record Snapshot(IReadOnlyDictionary<string, string> Files, IReadOnlyDictionary<string, string?> Rows);

    /// <summary>
    /// Every file under the data folder (the sandboxes' workspaces are there: sandboxes/{id}/merged) with its size and
    /// time, except the database's own files (its rows are counted instead), a sandbox's disk image (any write inside, a
    /// journal commit too, touches it; its files are compared through merged/) and the dev server's dependency caches; and
    /// every table's row count, the events without those no request makes.
    /// </summary>
    private async Task<Snapshot> SnapshotAsync()
    {
        var root = world.Host.DataDirectory;
        var files = Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true })
            .Where(f => !Path.GetFileName(f).StartsWith("livepreview.db", StringComparison.Ordinal) && Path.GetFileName(f) != "disk.img"
                && !f.Contains("/node_modules/", StringComparison.Ordinal) && !f.Contains("/.vite", StringComparison.Ordinal))
            .Select(f => new FileInfo(f))
            .ToDictionary(f => Path.GetRelativePath(root, f.FullName), f => $"{f.Length} B, {f.LastWriteTimeUtc:O}");
        await using var db = await world.Host.Service<IDbContextFactory<LivePreviewDbContext>>().CreateDbContextAsync();
        var rows = new Dictionary<string, string?>();
        foreach (var table in db.Model.GetEntityTypes().Select(e => e.GetTableName()).OfType<string>().Distinct())
        {
            rows[table] = await LivePreviewHost.ScalarAsync(root, table == "events"
                ? $"SELECT COUNT(*) FROM \"events\" WHERE \"Type\" NOT IN ({string.Join(", ", UnrequestedEvents.Select(e => $"'{e}'"))})"
                : $"SELECT COUNT(*) FROM \"{table}\"");
        }
        return new Snapshot(files, rows);
    }

    private void AssertUnchanged(Snapshot before, Snapshot after)
    {
        // The workspace is in the listing (a snapshot that missed it would prove nothing about it).
        Assert.Contains($"sandboxes/{world.Alice.SandboxId}/merged/src/App.tsx", before.Files.Keys);
        var changedFiles = before.Files.Keys.Union(after.Files.Keys)
            .Where(f => before.Files.GetValueOrDefault(f) != after.Files.GetValueOrDefault(f))
            .Select(f => $"{f}: {before.Files.GetValueOrDefault(f) ?? "absent"} → {after.Files.GetValueOrDefault(f) ?? "absent"}").ToList();
        Assert.True(changedFiles.Count == 0, $"Bad input changed files:\n{string.Join("\n", changedFiles.Take(40))}");
        var changedRows = before.Rows.Where(r => after.Rows[r.Key] != r.Value).Select(r => $"{r.Key}: {r.Value} → {after.Rows[r.Key]} rows").ToList();
        Assert.True(changedRows.Count == 0, $"Bad input changed the database:\n{string.Join("\n", changedRows)}");
    }
}
