using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LivePreview.Tasks.Forges;

/// <summary>
/// Merge requests on GitLab through its REST API (v4): <c>POST projects/:id/merge_requests</c> with the project path as
/// <c>:id</c> (URL-encoded, <c>group%2Fproject</c>) and the token in <c>PRIVATE-TOKEN</c>. A 409 means one is open for that
/// source branch: it is looked up (<c>GET …/merge_requests?state=opened&amp;source_branch=…</c>) and returned.
/// </summary>
internal static class GitLabForge
{
    public static async Task<PullRequestRef> CreateAsync(ForgeEntry entry, Uri api, string token, ForgeRepository repository, PullRequestDraft draft, CancellationToken ct)
    {
        using var http = new HttpClient(ForgeHttp.CreateHandler(entry, api)) { BaseAddress = api, Timeout = entry.Timeout };
        http.DefaultRequestHeaders.Add("PRIVATE-TOKEN", token);
        http.DefaultRequestHeaders.UserAgent.ParseAdd("LivePreview");
        var requests = $"projects/{repository.EncodedPath}/merge_requests";
        try
        {
            using var created = await http.PostAsJsonAsync(requests, new NewMergeRequest(draft.Head, draft.Base, draft.Title, draft.Body), ct);
            if (created.StatusCode == HttpStatusCode.Conflict)
            {
                return await ExistingAsync(http, requests, draft, ct);
            }
            var request = await ReadAsync<MergeRequest>(created, ct);
            return new PullRequestRef(WebUrl(request), request.Iid, Existing: false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or TimeoutException && !ct.IsCancellationRequested)
        {
            throw new ForgeException(null, $"GitLab at {api.Authority} could not be reached: {ForgeException.Clean(e.Message)}", e);
        }
    }

    private static async Task<PullRequestRef> ExistingAsync(HttpClient http, string requests, PullRequestDraft draft, CancellationToken ct)
    {
        var query = $"{requests}?state=opened&source_branch={Uri.EscapeDataString(draft.Head)}&target_branch={Uri.EscapeDataString(draft.Base)}";
        using var response = await http.GetAsync(query, ct);
        var open = await ReadAsync<List<MergeRequest>>(response, ct);
        var existing = open.FirstOrDefault(m => m.SourceBranch == draft.Head)
            ?? throw new ForgeException(409, $"GitLab says a merge request for '{draft.Head}' already exists, but lists no open one into '{draft.Base}'.");
        return new PullRequestRef(WebUrl(existing), existing.Iid, Existing: true);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        if (!response.IsSuccessStatusCode)
        {
            throw new ForgeException(status, $"GitLab refused the merge request ({status}): {ForgeException.Clean(await ErrorAsync(response, ct))}");
        }
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(ct) ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new ForgeException(status, "GitLab answered with JSON that is not a merge request.", e);
        }
    }

    /// <summary>GitLab puts its reason in "message" (a string, a list or an object of lists) or "error".</summary>
    private static async Task<string> ErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        try
        {
            using var json = JsonDocument.Parse(text);
            var root = json.RootElement;
            if (root.ValueKind == JsonValueKind.Object
                && (root.TryGetProperty("message", out var message) || root.TryGetProperty("error", out message)))
            {
                return message.ValueKind == JsonValueKind.String ? message.GetString()! : message.GetRawText();
            }
        }
        catch (JsonException)
        {
        }
        return text;
    }

    private static Uri WebUrl(MergeRequest request) =>
        Uri.TryCreate(request.WebUrl, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp)
            ? url : throw new ForgeException(201, "GitLab's merge request has no usable web_url.");

    private sealed record NewMergeRequest(
        [property: JsonPropertyName("source_branch")] string SourceBranch,
        [property: JsonPropertyName("target_branch")] string TargetBranch,
        [property: JsonPropertyName("title")] string Title,
        [property: JsonPropertyName("description")] string Description);

    private sealed record MergeRequest(
        [property: JsonPropertyName("iid")] int Iid,
        [property: JsonPropertyName("web_url")] string? WebUrl,
        [property: JsonPropertyName("source_branch")] string? SourceBranch);
}
