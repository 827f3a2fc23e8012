using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Auth;

/// <summary>
/// The proof that nothing is open: every route the OpenAPI document lists, the event socket, the Blazor circuit,
/// the OpenAPI document, metrics and the pages, asked anonymously (401 or a redirect to sign-in, never data) and
/// as the admin (never 401 or 403).
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class EveryRouteTests : IAsyncLifetime
{
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync() => _host = await LivePreviewHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Every_route_of_the_openapi_document_is_401_with_a_problem_that_says_how_to_authenticate_for_an_anonymous_client()
    {
        using var anonymous = AuthClients.Anonymous(_host);
        var routes = await RoutesAsync();
        Assert.True(routes.Count > 20, $"Only {routes.Count} routes in the OpenAPI document.");
        foreach (var (method, path) in routes.Where(r => r.Path != "/api/v1/health"))
        {
            using var response = await anonymous.SendAsync(new HttpRequestMessage(method, Concrete(path)));
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path}: {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains("Authorization: Bearer", problem.GetProperty("detail").GetString());
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
        }
    }

    [Theory]
    [InlineData("GET", "openapi/v1.json")]
    [InlineData("GET", "metrics")]
    [InlineData("POST", "_blazor/negotiate?negotiateVersion=1")]
    [InlineData("GET", "api/v1/events?after=0")]
    public async Task The_openapi_document_metrics_and_the_blazor_circuit_are_401_for_an_anonymous_client(string method, string path)
    {
        using var anonymous = AuthClients.Anonymous(_host);

        using var response = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_wrong_or_made_up_key_is_401_like_no_key()
    {
        using var wrong = AuthClients.WithKey(_host, "lpk_" + new string('x', 43));

        using var response = await wrong.GetAsync("api/v1/sandboxes");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("unknown or was revoked", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task The_event_socket_refuses_the_upgrade_with_401_for_an_anonymous_client_and_accepts_the_admin_key()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await AuthClients.EventSocketStatusAsync(_host));
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await AuthClients.EventSocketStatusAsync(_host, key: _host.AdminKey));
    }

    [Theory]
    [InlineData("")]
    [InlineData("prototype")]
    [InlineData("sandboxes/abcdefghijkl")]
    public async Task A_page_sends_an_anonymous_browser_to_the_sign_in_page_and_back(string page)
    {
        using var anonymous = AuthClients.Anonymous(_host);
        using var request = new HttpRequestMessage(HttpMethod.Get, page);
        request.Headers.Accept.ParseAdd("text/html");

        using var response = await anonymous.SendAsync(request);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal($"/login?returnUrl={Uri.EscapeDataString("/" + page)}", response.Headers.Location!.PathAndQuery);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Health_tells_an_anonymous_client_only_whether_the_service_runs()
    {
        using var anonymous = AuthClients.Anonymous(_host);

        var open = await anonymous.GetFromJsonAsync<JsonElement>("api/v1/health");
        var signedIn = await _host.Http.GetFromJsonAsync<JsonElement>("api/v1/health");

        Assert.Equal(["status"], open.EnumerateObject().Select(p => p.Name));
        Assert.Equal(signedIn.GetProperty("status").GetString(), open.GetProperty("status").GetString());
        Assert.True(signedIn.GetProperty("limits").EnumerateObject().Any());
    }

    [Fact]
    public async Task With_the_admin_key_no_route_of_the_openapi_document_is_401_or_403()
    {
        foreach (var (method, path) in await RoutesAsync())
        {
            using var response = await _host.Http.SendAsync(new HttpRequestMessage(method, Concrete(path)));
            Assert.True(response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden), $"{method} {path}: {(int)response.StatusCode}");
        }
        using var metrics = await _host.Http.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
    }

    private async Task<List<(HttpMethod Method, string Path)>> RoutesAsync()
    {
        var document = await _host.Http.GetFromJsonAsync<JsonElement>("openapi/v1.json");
        return [.. document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject()
                .Where(operation => operation.Name is "get" or "post" or "put" or "patch" or "delete")
                .Select(operation => (new HttpMethod(operation.Name.ToUpperInvariant()), path.Name)))];
    }

    /// <summary>The route with every parameter filled by something well-formed that does not exist.</summary>
    private static string Concrete(string path) =>
        System.Text.RegularExpressions.Regex.Replace(path, @"\{[^}]+\}", m => m.Value.Contains("path", StringComparison.OrdinalIgnoreCase) ? "src/App.tsx" : "abcdefghijkl")
            .TrimStart('/');
}
