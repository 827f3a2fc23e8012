using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Auth;

/// <summary>One operation of the OpenAPI document: its method and its path template (<c>/api/v1/sandboxes/{id}</c>).</summary>
public sealed record Route(HttpMethod Method, string Template)
{
    public override string ToString() => $"{Method} {Template}";

    /// <summary>Admin-only routes: 403 for every other user, owner or not.</summary>
    public bool IsAdminOnly => Template.StartsWith("/api/v1/keys", StringComparison.Ordinal);

    public bool HasParameters => Template.Contains('{', StringComparison.Ordinal);
}

/// <summary>
/// Turns every route of the OpenAPI document into a concrete request by its shape: each parameter is filled from
/// <see cref="RouteValues"/> according to its name and the segment before it, and routes that need a body get one.
/// A parameter it does not know fails the walk (a new route must be taught here, never skipped).
/// </summary>
internal static partial class RouteWalk
{
    public static async Task<IReadOnlyList<Route>> RoutesAsync(LivePreviewHost host)
    {
        var document = await host.Http.GetFromJsonAsync<JsonElement>("openapi/v1.json");
        return [.. document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject()
                .Where(operation => operation.Name is "get" or "post" or "put" or "patch" or "delete")
                .Select(operation => new Route(new HttpMethod(operation.Name.ToUpperInvariant()), path.Name)))];
    }

    /// <summary>The route's path with every parameter filled; throws for a parameter this walk cannot fill.</summary>
    public static string Fill(Route route, RouteValues values)
    {
        var segments = route.Template.Trim('/').Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            if (Parameter().Match(segments[i]) is { Success: true } match)
            {
                segments[i] = ValueFor(route, match.Groups["name"].Value, i > 0 ? segments[i - 1] : "", values);
            }
        }
        return string.Join('/', segments);
    }

    private static string ValueFor(Route route, string name, string before, RouteValues values) => (name, before) switch
    {
        (_, _) when name.Contains("path", StringComparison.OrdinalIgnoreCase) => "src/App.tsx",
        ("checkpointId", _) => values.CheckpointId,
        ("sandboxId", _) => values.SandboxId,
        (_, _) when name.Contains("grant", StringComparison.OrdinalIgnoreCase) =>
            values.GrantId ?? throw new InvalidOperationException($"{route}: no grant to fill {{{name}}} with (POST /api/v1/preview/{{id}}/grants is not in the document)."),
        ("id", "sandboxes") => values.SandboxId,
        ("id", "sandbox") => values.SandboxId,
        ("id", "preview") => values.PreviewId,
        ("id", "session") => values.SessionId,
        ("id", "keys") => values.KeyId,
        ("id", "tasks") => values.TaskId ?? throw new InvalidOperationException($"{route}: no task to fill {{id}} with."),
        ("cid", "commands") => values.CommandId ?? throw new InvalidOperationException($"{route}: no command to fill {{cid}} with."),
        _ => throw new InvalidOperationException(
            $"{route}: the walk cannot fill {{{name}}} after '{before}'. Teach RouteWalk.ValueFor which resource it names, so the route is proven, not skipped."),
    };

    /// <summary>The request, with a body where the route takes one (chosen to reach the ownership check, not to make things).</summary>
    public static HttpRequestMessage Request(Route route, RouteValues values)
    {
        var request = new HttpRequestMessage(route.Method, Fill(route, values));
        var body = Body(route, values);
        if (body is string text)
        {
            request.Content = new StringContent(text, Encoding.UTF8, "text/plain");
        }
        else if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: new JsonSerializerOptions(JsonSerializerDefaults.Web));
        }
        return request;
    }

    private static object? Body(Route route, RouteValues values) => (route.Method.Method, route.Template) switch
    {
        // Creating is anyone's right; an unknown framework gets the 400 without making a sandbox.
        ("POST", "/api/v1/sandboxes" or "/api/v1/sandboxes/") => new { framework = "no-such-framework" },
        ("POST", "/api/v1/prototype/session" or "/api/v1/prototype/session/") => new { framework = "no-such-framework" },
        ("POST", "/api/v1/preview" or "/api/v1/preview/") => new Dictionary<string, object> { ["sandbox_id"] = values.SandboxId },
        ("POST", "/api/v1/keys" or "/api/v1/keys/") => new { user = "mallory", name = "walk" },
        ("POST", var t) when t.EndsWith("/prompt", StringComparison.Ordinal) => new { prompt = "add a navbar with dark mode toggle" },
        ("POST", var t) when t.StartsWith("/api/v1/sandbox/", StringComparison.Ordinal) && t.EndsWith("/session", StringComparison.Ordinal) =>
            new { agent = "replay", instruction = "add a navbar with dark mode toggle" },
        ("POST", var t) when t.EndsWith("/commands", StringComparison.Ordinal) || t.EndsWith("/commands/", StringComparison.Ordinal) => new { command = new[] { "true" } },
        ("POST", var t) when t.EndsWith("/input", StringComparison.Ordinal) => "walk input\n",
        ("POST", var t) when t.EndsWith("/export", StringComparison.Ordinal) => new { },
        ("POST", var t) when t.EndsWith("/grants", StringComparison.Ordinal) => new Dictionary<string, object> { ["expires_in_seconds"] = 600, ["share"] = false },
        ("PATCH", var t) when t.StartsWith("/api/v1/preview/", StringComparison.Ordinal) => new { visibility = "private" },
        ("PUT", _) => "written by the route walk\n",
        _ => null,
    };

    /// <summary>Whether the request names one of <paramref name="values"/>'s resources (in its path or its body).</summary>
    public static bool NamesAResource(Route route) => route.HasParameters || Body(route, RouteValues.Unknown()) is IDictionary<string, object>;

    /// <summary>
    /// The body as text with what varies per request taken out: ProblemDetails' traceId, and the ids this request
    /// itself sent (an answer may echo what it was asked) replaced by their parameter's name.
    /// </summary>
    public static string Normalize(string body, RouteValues values)
    {
        body = TraceId().Replace(body, "");
        foreach (var (name, value) in new[]
        {
            ("sandbox", values.SandboxId), ("preview", values.PreviewId), ("session", values.SessionId),
            ("checkpoint", values.CheckpointId), ("key", values.KeyId), ("grant", values.GrantId), ("command", values.CommandId), ("task", values.TaskId),
        })
        {
            if (value is not null)
            {
                body = body.Replace(value, "{" + name + "}", StringComparison.Ordinal);
            }
        }
        return body;
    }

    /// <summary>GETs first, then writes, then stop and start, then deletions — files, preview, sandbox, session: the owner's walk uses its resources up last.</summary>
    public static int OwnerOrder(Route route) => (route.Method.Method, route.Template) switch
    {
        ("GET", _) => 0,
        ("PUT", _) => 1,
        ("POST", var t) when t.EndsWith("/stop", StringComparison.Ordinal) => 3,
        ("POST", var t) when t.EndsWith("/start", StringComparison.Ordinal) => 4,
        ("POST" or "PATCH", _) => 2,
        ("DELETE", var t) when t.Contains("/files", StringComparison.Ordinal) => 5,
        ("DELETE", var t) when t.Contains("/grants", StringComparison.Ordinal) => 5,
        ("DELETE", var t) when t.StartsWith("/api/v1/preview", StringComparison.Ordinal) => 6,
        ("DELETE", var t) when t.StartsWith("/api/v1/sandboxes", StringComparison.Ordinal) => 7,
        ("DELETE", var t) when t.StartsWith("/api/v1/prototype", StringComparison.Ordinal) => 8,
        _ => 9,
    };

    [GeneratedRegex(@"^\{\*{0,2}(?<name>[^}:?]+)[^}]*\}$")]
    private static partial Regex Parameter();

    [GeneratedRegex("\"trace_?[iI]d\":\"[^\"]*\",?")]
    private static partial Regex TraceId();
}
