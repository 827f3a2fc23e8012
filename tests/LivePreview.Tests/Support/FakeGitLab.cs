using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace LivePreview.Tests.Support;

/// <summary>
/// GitLab's REST API (v4) for merge requests: <c>POST /api/v4/projects/:id/merge_requests</c> where <c>:id</c> is the
/// URL-encoded project path (<c>group%2Fproject</c>, read from the raw request target), the token in <c>PRIVATE-TOKEN</c>,
/// a JSON body {source_branch, target_branch, title, description}; 201 with GitLab's merge request shape (id, iid,
/// web_url, state "opened"…), 409 with "Another open merge request already exists for this source branch: !iid";
/// and <c>GET …/merge_requests?state=opened&amp;source_branch=…</c>. 401 without the token, 404 for unknown projects.
/// </summary>
public sealed partial class FakeGitLab : FakeForge
{
    private readonly ConcurrentDictionary<string, List<JsonObject>> _requests = new(StringComparer.Ordinal);
    private int _next;

    private FakeGitLab(string token, IEnumerable<string> projects)
    {
        Token = token;
        foreach (var project in projects)
        {
            _requests[project] = [];
        }
    }

    public string Token { get; }

    /// <summary>The API base as configured: <c>http://127.0.0.1:port/api/v4/</c>.</summary>
    public Uri ApiUri => new(BaseUri, "api/v4/");

    public static async Task<FakeGitLab> StartAsync(string token, params string[] projects)
    {
        var fake = new FakeGitLab(token, projects);
        await fake.StartAsync();
        return fake;
    }

    protected override (int Status, JsonNode Body) Answer(ForgeRequest request)
    {
        if (request.Header("private-token") != Token)
        {
            return (401, new JsonObject { ["message"] = "401 Unauthorized" });
        }
        var (path, query) = Split(request.RawTarget);
        var match = MergeRequestsPath().Match(path);
        // GitLab takes the project path only URL-encoded as one segment: a literal '/' would be another route.
        if (!match.Success || !_requests.TryGetValue(Uri.UnescapeDataString(match.Groups["id"].Value), out var list))
        {
            return (404, new JsonObject { ["message"] = "404 Project Not Found" });
        }
        var project = Uri.UnescapeDataString(match.Groups["id"].Value);
        lock (list)
        {
            return request.Method switch
            {
                "POST" => Create(project, list, request.Body!),
                "GET" => (200, new JsonArray(list
                    .Where(m => (!query.TryGetValue("state", out var state) || (string?)m["state"] == state)
                        && (!query.TryGetValue("source_branch", out var source) || (string?)m["source_branch"] == source)
                        && (!query.TryGetValue("target_branch", out var target) || (string?)m["target_branch"] == target))
                    .Select(m => (JsonNode)m.DeepClone()).ToArray())),
                _ => (405, new JsonObject { ["message"] = "405 Method Not Allowed" }),
            };
        }
    }

    private (int, JsonNode) Create(string project, List<JsonObject> list, JsonObject body)
    {
        var source = (string?)body["source_branch"];
        var target = (string?)body["target_branch"];
        if (string.IsNullOrEmpty(source) || string.IsNullOrEmpty(target) || string.IsNullOrEmpty((string?)body["title"]))
        {
            return (400, new JsonObject { ["error"] = "source_branch, target_branch, title are missing" });
        }
        if (list.FirstOrDefault(m => (string?)m["source_branch"] == source && (string?)m["state"] == "opened") is { } open)
        {
            return (409, new JsonObject { ["message"] = new JsonArray($"Another open merge request already exists for this source branch: !{(int)open["iid"]!}") });
        }
        var iid = list.Count + 1;
        var mr = new JsonObject
        {
            ["id"] = 5000 + Interlocked.Increment(ref _next),
            ["iid"] = iid,
            ["project_id"] = 99,
            ["title"] = (string?)body["title"],
            ["description"] = (string?)body["description"],
            ["state"] = "opened",
            ["created_at"] = "2026-12-02T12:00:00.000Z",
            ["updated_at"] = "2026-12-02T12:00:00.000Z",
            ["target_branch"] = target,
            ["source_branch"] = source,
            ["author"] = new JsonObject { ["id"] = 1, ["username"] = "livepreview", ["name"] = "LivePreview" },
            ["draft"] = false,
            ["merge_status"] = "checking",
            ["sha"] = new string('b', 40),
            ["web_url"] = $"https://gitlab.example.com/{project}/-/merge_requests/{iid}",
            ["references"] = new JsonObject { ["short"] = $"!{iid}", ["full"] = $"{project}!{iid}" },
        };
        list.Add(mr);
        return (201, mr.DeepClone());
    }

    [GeneratedRegex(@"^/api/v4/projects/(?<id>[^/]+)/merge_requests$")]
    private static partial Regex MergeRequestsPath();
}
