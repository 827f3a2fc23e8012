using System.Text.Json;
using LivePreview.Tests.Auth;

namespace LivePreview.Tests.Drills;

/// <summary>
/// The hand-written half of the corpus: hostile values where each endpoint reads them, each with the word its answer
/// must name. Every route that takes a JSON body or a query parameter needs cases here (the corpus test fails
/// otherwise), so the corpus grows with every route.
/// </summary>
public static class BadInputCases
{
    /// <summary>Strings no name, branch or remote may be: options, control characters, traversal, bidi tricks, git's ext:: transport.</summary>
    public static readonly string[] HostileNames =
    [
        "--upload-pack=touch /tmp/lp-pwned", "-x", "main\nevil", "ext::sh -c touch% /tmp/lp-pwned", "a\0b", "\u202eevil", "..", "../../etc", "",
    ];

    /// <summary>Homoglyphs and combining marks: fine as text, never an existing agent, framework, sandbox or branch of a refused remote.</summary>
    public static readonly string[] LookAlikes = ["r\u0435play", "re\u0301play", "rea\u0441t-vite", "\u200breplay"];

    private const string Refused = "file:///etc";

    public static List<BadInput> Build(IReadOnlyList<Route> routes, RouteValues v)
    {
        var cases = new List<BadInput>();
        void Add(string method, string template, string target, object? body, string expect) =>
            cases.Add(new BadInput(routes.Single(r => r.Method.Method == method && r.Template == template), "hand", method, BadInputCorpus.Utf8(target),
                body is null ? null : BadInputCorpus.Utf8(body as string ?? JsonSerializer.Serialize(body)), body is null ? null : "application/json", expect));

        foreach (var name in HostileNames.Concat(LookAlikes))
        {
            Add("POST", "/api/v1/sandboxes", "/api/v1/sandboxes", new { framework = name }, "framework");
            Add("POST", "/api/v1/sandboxes", "/api/v1/sandboxes", new { repository = new { url = name, branch = "main" } }, "remote");
            Add("POST", "/api/v1/prototype/session", "/api/v1/prototype/session", new { framework = name, agent = "replay" }, "framework");
            Add("POST", "/api/v1/prototype/session", "/api/v1/prototype/session", new { framework = "react-vite", agent = name.Length == 0 ? "nope" : name }, "agent");
            Add("POST", "/api/v1/sandbox/{id}/session", $"/api/v1/sandbox/{v.SandboxId}/session", new { agent = name.Length == 0 ? "nope" : name, instruction = "x" }, "agent");
            Add("POST", "/api/v1/preview", "/api/v1/preview", new { sandbox_id = name.Length == 0 ? "z" : name }, "andbox");
            Add("PATCH", "/api/v1/preview/{id}", $"/api/v1/preview/{v.PreviewId}", new { visibility = name }, "visibility");
            Add("POST", "/api/v1/keys", "/api/v1/keys", new { user = name, name = "corpus" }, "user");
            Add("POST", "/api/v1/sandbox/{id}/answer", $"/api/v1/sandbox/{v.SandboxId}/answer", new { question_id = name, answer = "yes" }, "question");
            Add("POST", "/api/v1/tasks", "/api/v1/tasks", new { title = "t", agent = name.Length == 0 ? "nope" : name, repository = new { url = Refused, base_branch = "main" } }, "");
        }
        foreach (var branch in HostileNames.Where(n => n.Length > 0).Append("a..b").Append("refs/heads/x.lock").Append("m\u0430in@{-1}"))
        {
            // A branch that is not one fails before the remote is even resolved (the remote is refused, too: either way nothing is fetched or pushed).
            Add("POST", "/api/v1/sandboxes", "/api/v1/sandboxes", new { repository = new { url = "https://forge.invalid/a/b.git", branch } }, "branch");
            Add("POST", "/api/v1/prototype/session/{id}/export", $"/api/v1/prototype/session/{v.SessionId}/export", new { repo_url = "https://forge.invalid/a/b.git", branch, message = "m" }, "branch");
            Add("POST", "/api/v1/tasks", "/api/v1/tasks", new { title = "t", repository = new { url = "https://forge.invalid/a/b.git", base_branch = branch } }, "branch");
        }
        foreach (var message in new[] { "--upload-pack=touch /tmp/lp-pwned", "-x", "line one\n\nline two", "ext::sh -c touch% /tmp/lp-pwned" })
        {
            Add("POST", "/api/v1/prototype/session/{id}/export", $"/api/v1/prototype/session/{v.SessionId}/export", new { repo_url = Refused, branch = "main", message }, "remote");
        }
        foreach (var url in new[] { "ext::sh -c touch% /tmp/lp-pwned", "--upload-pack=touch /tmp/lp-pwned", "-x", "file:///etc", "/etc", "https://127.0.0.1/a.git", "http://[::1]/a.git", "git@localhost:a/b.git" })
        {
            Add("POST", "/api/v1/sandboxes", "/api/v1/sandboxes", new { repository = new { url, branch = "main" } }, "");
            Add("POST", "/api/v1/prototype/session/{id}/export", $"/api/v1/prototype/session/{v.SessionId}/export", new { repo_url = url, branch = "main", message = "m" }, "");
            Add("POST", "/api/v1/tasks", "/api/v1/tasks", new { title = "t", repository = new { url, base_branch = "main" } }, "");
        }
        foreach (var model in new[] { "--upload-pack=x", "-x", "a b", "m\nx", "\u202emodel", new string('m', 201) })
        {
            Add("POST", "/api/v1/prototype/session", "/api/v1/prototype/session", new { framework = "react-vite", agent = "replay", model }, "model");
            Add("POST", "/api/v1/sandbox/{id}/session", $"/api/v1/sandbox/{v.SandboxId}/session", new { agent = "replay", instruction = "x", model }, "model");
        }
        foreach (var app in new object[] { new { directory = "../../etc" }, new { directory = "a/../.." }, new { directory = "a\\b" }, new { port = 0 }, new { port = 70000 }, new { package_manager = "npm; rm -rf /" }, new { package_manager = "pnpm9" } })
        {
            Add("POST", "/api/v1/sandboxes", "/api/v1/sandboxes", new { repository = new { url = "https://forge.invalid/a/b.git" }, app }, "app");
        }
        Add("POST", "/api/v1/sandboxes", "/api/v1/sandboxes", new { framework = "react-vite", app = new { port = 3000 } }, "repository");
        Add("POST", "/api/v1/sandboxes", "/api/v1/sandboxes", new { }, "framework");
        Add("POST", "/api/v1/prototype/session", "/api/v1/prototype/session", new { package_json = "{\"dependencies\":{}}" }, "framework");
        foreach (var prompt in new[] { "", " \n\t", new string('p', 20_001) })
        {
            Add("POST", "/api/v1/prototype/session/{id}/prompt", $"/api/v1/prototype/session/{v.SessionId}/prompt", new { prompt }, "prompt");
        }
        Add("POST", "/api/v1/prototype/session/{id}/prompt", $"/api/v1/prototype/session/{v.SessionId}/prompt", new { }, "prompt");
        Add("POST", "/api/v1/sandbox/{id}/session", $"/api/v1/sandbox/{v.SandboxId}/session", new { agent = "replay", instruction = "" }, "instruction");
        Add("POST", "/api/v1/sandbox/{id}/resume", $"/api/v1/sandbox/{v.SandboxId}/resume", new { instruction = new string('i', 200_001) }, "");
        Add("POST", "/api/v1/sandbox/{id}/answer", $"/api/v1/sandbox/{v.SandboxId}/answer", new { answer = "" }, "");
        foreach (var command in new object[] { new { command = Array.Empty<string>() }, new { command = new[] { "" } }, new { command = new[] { "a\0b" } },
            new { command = new[] { "true" }, cwd = "../../etc" }, new { command = new[] { "true" }, cwd = "/etc" }, new { command = new[] { "true" }, env = new Dictionary<string, string> { ["A=B"] = "x" } },
            new { command = new[] { "true" }, env = new Dictionary<string, string> { [""] = "x" } }, new { command = new[] { "true" }, env = new Dictionary<string, string> { ["X"] = "a\0b" } },
            new { command = new[] { "true" }, timeout_seconds = 0 }, new { command = new[] { "true" }, timeout_seconds = -1 }, new { command = new[] { "true" }, timeout_seconds = int.MaxValue } })
        {
            Add("POST", "/api/v1/sandboxes/{id}/commands", $"/api/v1/sandboxes/{v.SandboxId}/commands", command, "");
        }
        foreach (var seconds in new[] { 0, 59, -1, 604_801, int.MaxValue })
        {
            Add("POST", "/api/v1/preview/{id}/grants", $"/api/v1/preview/{v.PreviewId}/grants", new { expires_in_seconds = seconds }, "expires_in_seconds");
        }
        foreach (var port in new[] { 0, -1, 65_536, int.MaxValue })
        {
            Add("POST", "/api/v1/preview", "/api/v1/preview", new { sandbox_id = v.SandboxId, port }, "between 1 and 65535");
        }
        foreach (var key in new object[] { new { user = "ok", name = "\u202eevil" }, new { user = "ok", name = "" }, new { user = "ok", name = new string('n', 101) }, new { user = "ok", name = "a\0b" }, new { user = new string('u', 65), name = "n" } })
        {
            Add("POST", "/api/v1/keys", "/api/v1/keys", key, "");
        }
        foreach (var task in new object[] { new { title = "", repository = new { url = Refused } }, new { title = "a\nb", repository = new { url = Refused } }, new { title = new string('t', 201), repository = new { url = Refused } },
            new { title = "t" }, new { title = "t", repository = new { url = "https://forge.invalid/a/b.git" }, required_capabilities = new[] { "root" } },
            new { title = "t", repository = new { url = "https://forge.invalid/a/b.git" }, description = new string('d', 100_001) } })
        {
            Add("POST", "/api/v1/tasks", "/api/v1/tasks", task, "");
        }
        foreach (var query in new[] { "since=yesterday", "since=2026-13-45T00:00:00Z", "user=%e2%80%aeevil&since=x" })
        {
            Add("GET", "/api/v1/usage", "/api/v1/usage?" + query, null, query.StartsWith("user", StringComparison.Ordinal) ? "admin" : "since");
        }
        foreach (var query in new[] { "follow=maybe", "follow=%00" })
        {
            Add("GET", "/api/v1/sandboxes/{id}/commands/{cid}/output", $"/api/v1/sandboxes/{v.SandboxId}/commands/{v.CommandId}/output?{query}", null, "follow");
        }
        Add("POST", "/api/v1/sandboxes/{id}/commands/{cid}/input", $"/api/v1/sandboxes/{v.SandboxId}/commands/{v.CommandId}/input?eof=perhaps", null, "eof");
        foreach (var query in new[] { "after=abc", "after=-5", "limit=0", "limit=many", "after=99999999999999999999999" })
        {
            Add("GET", "/api/v1/events", "/api/v1/events?" + query, null, "");
        }
        foreach (var file in new[] { "..%2f..%2fetc%2fpasswd", "src/%2e%2e%2f%2e%2e%2fetc", "..%5c..%5cetc", "src/%e2%80%aeevil.tsx", "src/%e2%80%8bApp.tsx", "src/a%0ab", "%2fetc%2fpasswd", "~%2f.ssh", "C:%5cx", "src/" + new string('f', 1100) })
        {
            Add("PUT", "/api/v1/sandboxes/{id}/files/{path}", $"/api/v1/sandboxes/{v.SandboxId}/files/{file}", "corpus\n", "path");
            Add("DELETE", "/api/v1/sandboxes/{id}/files/{path}", $"/api/v1/sandboxes/{v.SandboxId}/files/{file}", null, "path");
        }
        return cases;
    }
}
