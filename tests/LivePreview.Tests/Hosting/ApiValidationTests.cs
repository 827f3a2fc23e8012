using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Hosting;

[Collection(ServiceCollection.Name)]
public sealed class ApiValidationTests : IAsyncLifetime
{
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync() => _host = await LivePreviewHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task An_unknown_framework_is_a_400_that_lists_the_known_ones()
    {
        var problem = await ProblemAsync(await _host.Http.PostAsJsonAsync("api/v1/sandboxes", new { framework = "angular" }), 400);
        Assert.Contains("react-vite, vue-vite, next", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Malformed_json_is_a_400_that_says_where_it_broke()
    {
        var response = await _host.Http.PostAsync("api/v1/sandboxes", new StringContent("{\"framework\": ", Encoding.UTF8, "application/json"));
        var problem = await ProblemAsync(response, 400);
        Assert.Contains("not valid JSON", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Unknown_ids_are_404_problems()
    {
        await ProblemAsync(await _host.Http.GetAsync("api/v1/sandboxes/abcdefghijkl"), 404);
        await ProblemAsync(await _host.Http.DeleteAsync("api/v1/sandboxes/abcdefghijkl"), 404);
        await ProblemAsync(await _host.Http.GetAsync("api/v1/preview/pvnothing"), 404);
        await ProblemAsync(await _host.Http.GetAsync("api/v1/preview/sandbox/abcdefghijkl"), 404);
        await ProblemAsync(await _host.Http.GetAsync("api/v1/sandboxes/abcdefghijkl/files/src/App.tsx"), 404);
        await ProblemAsync(await _host.Http.PostAsJsonAsync("api/v1/preview/", new { sandbox_id = "abcdefghijkl" }), 404);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65536)]
    [InlineData(-1)]
    public async Task A_port_out_of_range_is_a_400(int port)
    {
        var problem = await ProblemAsync(await _host.Http.PostAsJsonAsync("api/v1/preview/", new { sandbox_id = "abcdefghijkl", port }), 400);
        Assert.Contains("between 1 and 65535", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_preview_without_a_sandbox_id_is_a_400() =>
        await ProblemAsync(await _host.Http.PostAsJsonAsync("api/v1/preview/", new { port = 5173 }), 400);

    [Fact]
    public async Task The_openapi_document_and_the_api_page_are_served()
    {
        var openApi = await _host.Http.GetFromJsonAsync<JsonElement>("openapi/v1.json");
        Assert.True(openApi.GetProperty("paths").TryGetProperty("/api/v1/preview/sandbox/{sandboxId}", out _));
        var page = await _host.Http.GetAsync("api/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("frame-ancestors 'self'", string.Join(' ', page.Headers.GetValues("Content-Security-Policy")));
    }

    [Fact]
    public async Task An_unknown_preview_host_gets_the_friendly_404_page()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://5173-abcdefghijkl.preview.localhost:{_host.Port}/");
        using var response = await _host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("No such preview", await response.Content.ReadAsStringAsync());
    }

    internal static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, int status)
    {
        using (response)
        {
            Assert.Equal(status, (int)response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
            return problem;
        }
    }
}
