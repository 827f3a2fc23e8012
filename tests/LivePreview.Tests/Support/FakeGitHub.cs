using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace LivePreview.Tests.Support;

/// <summary>
/// GitHub's REST API for pull requests, as far as Octokit uses it to open one (this machine cannot reach GitHub):
/// <c>POST /repos/{o}/{r}/pulls</c> with a JSON body {title, head, base, body}, answered 201 with GitHub's pull request
/// shape (number, html_url, url, state, head/base objects, user…), or 422 "Validation Failed" with an errors[] entry
/// "A pull request already exists for o:branch." when one is open for that head; and
/// <c>GET /repos/{o}/{r}/pulls?head=o:branch&amp;state=open</c>. Like GitHub it wants a token (<c>token</c> or <c>Bearer</c>),
/// a User-Agent, and answers 404 for repositories it does not have.
/// </summary>
public sealed partial class FakeGitHub : FakeForge
{
    private readonly ConcurrentDictionary<string, List<JsonObject>> _pulls = new(StringComparer.OrdinalIgnoreCase);
    private int _next;

    private FakeGitHub(string token, IEnumerable<string> repositories)
    {
        Token = token;
        foreach (var repository in repositories)
        {
            _pulls[repository] = [];
        }
    }

    public string Token { get; }

    /// <summary>The requests that went to the pull request API (everything, in order).</summary>
    public IReadOnlyList<ForgeRequest> PullRequestCalls => Requests.ToList();

    public static async Task<FakeGitHub> StartAsync(string token, params string[] repositories)
    {
        var fake = new FakeGitHub(token, repositories);
        await fake.StartAsync();
        return fake;
    }

    protected override (int Status, JsonNode Body) Answer(ForgeRequest request)
    {
        var auth = request.Header("authorization") ?? "";
        if (!(auth.Equals("token " + Token, StringComparison.OrdinalIgnoreCase) || auth.Equals("Bearer " + Token, StringComparison.OrdinalIgnoreCase)))
        {
            return (401, new JsonObject { ["message"] = "Bad credentials", ["documentation_url"] = "https://docs.github.com/rest", ["status"] = "401" });
        }
        if (string.IsNullOrEmpty(request.Header("user-agent")))
        {
            return (403, new JsonObject { ["message"] = "Request forbidden by administrative rules. Please make sure your request has a User-Agent header." });
        }
        var (path, query) = Split(request.RawTarget);
        var match = PullsPath().Match(path);
        if (!match.Success || !_pulls.TryGetValue($"{match.Groups["owner"].Value}/{match.Groups["repo"].Value}", out var pulls))
        {
            return (404, new JsonObject { ["message"] = "Not Found", ["documentation_url"] = "https://docs.github.com/rest/pulls/pulls#create-a-pull-request", ["status"] = "404" });
        }
        var (owner, repo) = (match.Groups["owner"].Value, match.Groups["repo"].Value);
        lock (pulls)
        {
            return request.Method switch
            {
                "POST" => Create(owner, repo, pulls, request.Body!),
                "GET" => (200, new JsonArray(pulls
                    .Where(p => (!query.TryGetValue("head", out var head) || (string?)p["head"]!["label"] == head)
                        && (!query.TryGetValue("state", out var state) || state == "all" || (string?)p["state"] == state))
                    .Select(p => (JsonNode)p.DeepClone()).ToArray())),
                _ => (404, new JsonObject { ["message"] = "Not Found" }),
            };
        }
    }

    private (int, JsonNode) Create(string owner, string repo, List<JsonObject> pulls, JsonObject body)
    {
        var head = (string?)body["head"];
        var @base = (string?)body["base"];
        if (string.IsNullOrEmpty((string?)body["title"]) || string.IsNullOrEmpty(head) || string.IsNullOrEmpty(@base))
        {
            return (422, ValidationFailed("missing_field", "title, head and base are required"));
        }
        var label = head.Contains(':') ? head : $"{owner}:{head}";
        if (pulls.Any(p => (string?)p["head"]!["label"] == label && (string?)p["state"] == "open"))
        {
            return (422, ValidationFailed("custom", $"A pull request already exists for {label}."));
        }
        var number = Interlocked.Increment(ref _next);
        var api = BaseUri.ToString().TrimEnd('/');
        var pull = new JsonObject
        {
            ["url"] = $"{api}/repos/{owner}/{repo}/pulls/{number}",
            ["id"] = 1000 + number,
            ["node_id"] = $"PR_kwDO{number:D6}",
            ["html_url"] = $"https://github.com/{owner}/{repo}/pull/{number}",
            ["diff_url"] = $"https://github.com/{owner}/{repo}/pull/{number}.diff",
            ["patch_url"] = $"https://github.com/{owner}/{repo}/pull/{number}.patch",
            ["issue_url"] = $"{api}/repos/{owner}/{repo}/issues/{number}",
            ["number"] = number,
            ["state"] = "open",
            ["locked"] = false,
            ["title"] = (string?)body["title"],
            ["body"] = (string?)body["body"],
            ["user"] = User(owner),
            ["created_at"] = "2026-12-02T12:00:00Z",
            ["updated_at"] = "2026-12-02T12:00:00Z",
            ["closed_at"] = null,
            ["merged_at"] = null,
            ["merge_commit_sha"] = null,
            ["draft"] = false,
            ["head"] = Ref(owner, repo, label, head.Split(':')[^1]),
            ["base"] = Ref(owner, repo, $"{owner}:{@base}", @base),
            ["merged"] = false,
            ["mergeable"] = null,
            ["comments"] = 0,
            ["commits"] = 1,
            ["additions"] = 1,
            ["deletions"] = 0,
            ["changed_files"] = 1,
        };
        pulls.Add(pull);
        return (201, pull.DeepClone());
    }

    private static JsonObject ValidationFailed(string code, string message) => new()
    {
        ["message"] = "Validation Failed",
        ["errors"] = new JsonArray(new JsonObject { ["resource"] = "PullRequest", ["code"] = code, ["message"] = message }),
        ["documentation_url"] = "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
        ["status"] = "422",
    };

    private static JsonObject Ref(string owner, string repo, string label, string @ref) => new()
    {
        ["label"] = label,
        ["ref"] = @ref,
        ["sha"] = new string('a', 40),
        ["user"] = User(owner),
        ["repo"] = new JsonObject { ["id"] = 42, ["name"] = repo, ["full_name"] = $"{owner}/{repo}", ["private"] = false, ["owner"] = User(owner) },
    };

    private static JsonObject User(string login) => new() { ["login"] = login, ["id"] = 7, ["type"] = "User", ["site_admin"] = false };

    [GeneratedRegex(@"^/repos/(?<owner>[^/]+)/(?<repo>[^/]+)/pulls$")]
    private static partial Regex PullsPath();
}
