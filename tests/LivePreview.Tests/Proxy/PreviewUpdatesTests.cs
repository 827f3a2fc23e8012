using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Proxy;

/// <summary>
/// <c>POST /__livepreview/updated</c> on a real preview: what a hostile page can send is refused or bounded, an update
/// is one PREVIEW_UPDATED however often it is reported, and it names the edit it painted.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class PreviewUpdatesTests : IAsyncLifetime
{
    private LivePreviewHost _host = null!;
    private string _id = null!;
    private string _url = null!;

    public async Task InitializeAsync()
    {
        _host = await LivePreviewHost.StartAsync();
        _id = (await _host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        _url = (await _host.WaitForPreviewAsync(_id)).GetProperty("preview_url").GetString()!;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Reports_from_another_origin_not_json_too_large_or_out_of_bounds_are_refused_and_publish_nothing()
    {
        var valid = Report(1);
        Assert.Equal(HttpStatusCode.Forbidden, await PostAsync(valid, origin: "http://evil.localhost:8080"));
        Assert.Equal(HttpStatusCode.Forbidden, await PostAsync(valid, origin: null));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, await PostAsync(valid, contentType: "text/plain"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await PostAsync(valid.Replace("\"kind\"", $"\"pad\":\"{new string('x', 9000)}\",\"kind\"", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(valid.Replace("\"received_to_painted_ms\":40", "\"received_to_painted_ms\":-40", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(valid.Replace("\"received_to_painted_ms\":40", "\"received_to_painted_ms\":\"NaN\"", StringComparison.Ordinal)));

        Assert.Empty(await EventsAsync("PREVIEW_UPDATED"));
    }

    [Fact]
    public async Task An_update_names_the_edit_it_painted_is_published_once_however_many_tabs_report_it_and_a_flood_gets_429()
    {
        using (var put = await _host.Http.PutAsync($"api/v1/sandboxes/{_id}/files/src/App.tsx", new StringContent("export default function App() { return <h1>Hello from a test</h1>; }\n")))
        {
            put.EnsureSuccessStatusCode();
        }
        var edit = Assert.Single(await EventsAsync("FILE_CHANGED"), e => e.GetProperty("payload").GetProperty("path").GetString() == "src/App.tsx");

        Assert.Equal(HttpStatusCode.NoContent, await PostAsync(Report(1)));
        Assert.Equal(HttpStatusCode.NoContent, await PostAsync(Report(1)));
        Assert.Equal(HttpStatusCode.NoContent, await PostAsync("""{"kind":"reload","received_to_applied_ms":100,"received_to_painted_ms":140}"""));

        var updated = Assert.Single(await EventsAsync("PREVIEW_UPDATED")).GetProperty("payload");
        Assert.Equal(edit.GetProperty("sequence").GetInt64(), updated.GetProperty("edit").GetProperty("sequence").GetInt64());
        Assert.Equal(("api", 40.0), (updated.GetProperty("edit").GetProperty("source").GetString(), updated.GetProperty("received_to_painted_ms").GetDouble()));
        Assert.InRange(updated.GetProperty("edit_to_report_ms").GetDouble(), 0, 120_000);

        var answers = new List<HttpStatusCode>();
        for (var i = 2; i < 62; i++)
        {
            answers.Add(await PostAsync(Report(i)));
        }
        Assert.Contains(HttpStatusCode.TooManyRequests, answers);
        Assert.All(answers, a => Assert.True(a is HttpStatusCode.NoContent or HttpStatusCode.TooManyRequests, a.ToString()));
        // Each accepted distinct update is one event (no edit left to cover: edit_to_report_ms is null); the refused are none.
        var events = await EventsAsync("PREVIEW_UPDATED");
        Assert.Equal(1 + answers.Count(a => a == HttpStatusCode.NoContent), events.Count);
        Assert.All(events.Skip(1), e => Assert.Equal(JsonValueKind.Null, e.GetProperty("payload").GetProperty("edit_to_report_ms").ValueKind));
    }

    private static string Report(long timestamp) =>
        $$"""{"kind":"hmr","updates":[{"path":"/src/App.tsx","type":"js-update","timestamp":{{timestamp}}}],"received_to_applied_ms":12,"received_to_painted_ms":40}""";

    private async Task<HttpStatusCode> PostAsync(string json, string? origin = "", string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _url + "__livepreview/updated") { Content = new StringContent(json, Encoding.UTF8) };
        request.Content.Headers.ContentType = new(contentType);
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin.Length == 0 ? new Uri(_url).GetLeftPart(UriPartial.Authority) : origin);
        }
        using var answer = await _host.Http.SendAsync(request);
        return answer.StatusCode;
    }

    private async Task<List<JsonElement>> EventsAsync(string type)
    {
        var events = await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/events?sandbox_id={_id}&types={type}&limit=1000");
        return [.. events.GetProperty("events").EnumerateArray()];
    }
}
