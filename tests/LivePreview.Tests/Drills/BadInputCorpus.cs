using System.Text;
using System.Text.Json;
using LivePreview.Tests.Auth;

namespace LivePreview.Tests.Drills;

/// <summary>One bad request: which route it aims at, what is wrong with it, and (hand-written cases) what the answer must name.</summary>
public sealed record BadInput(Route Route, string Kind, string Method, byte[] Target, byte[]? Body = null, string? ContentType = null, string? Expect = null)
{
    public override string ToString() =>
        $"{Route} [{Kind}] {Method} {Printable(Target)}{(Body is null ? "" : $" body({Body.Length} B) {Printable(Body.Take(120).ToArray())}")}";

    private static string Printable(byte[] bytes) =>
        string.Concat(Encoding.UTF8.GetString(bytes).Select(c => c is < ' ' or > '~' ? $"\\u{(int)c:x4}" : c.ToString()));
}

/// <summary>
/// The corpus: generated from the OpenAPI document (every route: wrong methods, hostile values in each path parameter;
/// every JSON body: not JSON, not an object, too deep, invalid UTF-8, too large, each property of the wrong type) plus
/// the hand-written cases of <see cref="BadInputCases"/>. Paths are filled by <see cref="RouteWalk"/>, which refuses a
/// parameter it does not know, so a new route is either covered or fails the corpus.
/// </summary>
public static class BadInputCorpus
{
    private static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];

    /// <summary>
    /// Hostile path segments, as sent on the wire. Plain <c>..</c> and <c>%2e%2e</c> segments are resolved by the HTTP
    /// server before routing (RFC 3986), so they are sent inside a segment, where they reach the service as text.
    /// </summary>
    public static readonly string[] HostileSegments =
    [
        "..%2f..%2fetc%2fpasswd", "%2e%2e%2f%2e%2e%2fetc", "%252e%252e%252fetc", "..%5c..%5cwindows", "..\\..\\etc",
        "%c0%ae%c0%ae%c0%af", "%ff%fe", "%e2%80%aeevil", "e%cc%81%cc%81", "%d0%b0dmin", "-x", "--upload-pack=touch%20%2ftmp%2flp-pwned",
        "ext::sh%20-c%20touch%20%2ftmp%2flp-pwned", "a%0ab", new string('z', 2000),
    ];

    /// <summary>The hostile segments that are no file's name: traversal, backslashes, bidi controls, control characters, too long.</summary>
    public static readonly string[] RefusedFileSegments =
        ["..%2f..%2fetc%2fpasswd", "%2e%2e%2f%2e%2e%2fetc", "..%5c..%5cwindows", "..\\..\\etc", "%e2%80%aeevil", "a%0ab", new string('z', 2000)];

    public static List<BadInput> Build(JsonElement document, RouteValues values)
    {
        var cases = new List<BadInput>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            var allowed = path.Value.EnumerateObject().Select(o => o.Name.ToUpperInvariant()).ToHashSet();
            foreach (var operation in path.Value.EnumerateObject().Where(o => Methods.Contains(o.Name.ToUpperInvariant())))
            {
                var route = new Route(new HttpMethod(operation.Name.ToUpperInvariant()), path.Name);
                var target = "/" + RouteWalk.Fill(route, values);
                cases.AddRange(Methods.Where(m => !allowed.Contains(m)).Select(m => new BadInput(route, "wrong method", m, Utf8(target))));
                cases.AddRange(PathCases(route, values));
                if (JsonBodySchema(document, operation.Value) is { } schema)
                {
                    cases.AddRange(BodyCases(route, target, schema));
                }
            }
        }
        return cases;
    }

    /// <summary>Each path parameter in turn replaced by each hostile segment, the others filled with the user's real ids.</summary>
    private static IEnumerable<BadInput> PathCases(Route route, RouteValues values)
    {
        var template = route.Template.Trim('/').Split('/');
        var filled = RouteWalk.Fill(route, values).Split('/');
        // A catch-all file path fills several segments; it is always last, so the segments before it line up.
        for (var i = 0; i < template.Length; i++)
        {
            if (!template[i].StartsWith('{'))
            {
                continue;
            }
            var catchAll = template[i].Contains('*', StringComparison.Ordinal) || template[i].Contains("path", StringComparison.OrdinalIgnoreCase);
            // A file may be named "-x" or "é": a write refuses only the names no file may have (nothing else is bad input there).
            foreach (var segment in catchAll && route.Method.Method == "PUT" ? RefusedFileSegments : HostileSegments)
            {
                var parts = filled.Take(i).Append(catchAll ? "src/" + segment : segment).Concat(catchAll ? [] : filled.Skip(i + 1));
                var body = route.Method.Method is "PUT" ? Utf8("written by the corpus\n") : route.Method.Method is "POST" or "PATCH" ? Utf8("{}") : null;
                yield return new BadInput(route, $"hostile {template[i]}", route.Method.Method, Utf8("/" + string.Join('/', parts)), body,
                    body is null ? null : route.Method.Method is "PUT" ? "text/plain" : "application/json");
            }
        }
    }

    private static IEnumerable<BadInput> BodyCases(Route route, string target, JsonElement schema)
    {
        BadInput Json(string kind, byte[] body, string contentType = "application/json") => new(route, kind, route.Method.Method, Utf8(target), body, contentType);

        yield return Json("not json", Utf8("{\"a\": "));
        yield return Json("a json array", Utf8("[1, 2]"));
        yield return Json("a json string", Utf8("\"x\""));
        yield return Json("a json number", Utf8("42"));
        yield return Json("trailing garbage", Utf8("{} {}"));
        yield return Json("deep json", Utf8(new string('[', 10_000) + new string(']', 10_000)));
        yield return Json("deep objects", Utf8(string.Concat(Enumerable.Repeat("{\"a\":", 5_000)) + "1" + new string('}', 5_000)));
        yield return Json("xml", Utf8("<a/>"), "application/xml");
        yield return Json("form", Utf8("a=1"), "application/x-www-form-urlencoded");
        // 31 MB: over Kestrel's 30 MB default request body limit.
        yield return Json("huge body", Encoding.ASCII.GetBytes("{\"x\":\"" + new string('x', 31 * 1024 * 1024) + "\"}"));
        foreach (var (name, property) in Properties(schema))
        {
            foreach (var (kind, value) in WrongTypes(property))
            {
                yield return Json($"{name}: {kind}", Utf8($"{{\"{name}\": {value}}}"));
            }
            if (IsString(property))
            {
                // Invalid UTF-8 inside a string of a property the endpoint reads.
                yield return Json($"{name}: invalid utf-8", [.. Utf8($"{{\"{name}\": \""), 0xC0, 0xAE, 0xFF, .. Utf8("\"}")]);
            }
        }
    }

    /// <summary>Values of a type the property does not have (the document says which types it has).</summary>
    private static IEnumerable<(string Kind, string Json)> WrongTypes(JsonElement property)
    {
        var types = Types(property);
        if (!types.Contains("object") && !property.TryGetProperty("$ref", out _) && !property.TryGetProperty("oneOf", out _))
        {
            yield return ("an object", "{\"o\": 1}");
        }
        if (!types.Contains("array"))
        {
            yield return ("an array", "[1]");
        }
        if (!types.Contains("boolean") && !types.Contains("string"))
        {
            yield return ("a boolean", "true");
        }
        if (types.Contains("integer") || types.Contains("number"))
        {
            yield return ("a number too large", "1e400");
            yield return ("a fraction", "1.5");
        }
        else if (!types.Contains("string"))
        {
            yield return ("a number", "12345");
        }
        if (types.Contains("boolean"))
        {
            yield return ("a string", "\"yes\"");
        }
    }

    private static bool IsString(JsonElement property) => Types(property).Contains("string") && !Types(property).Contains("integer");

    private static HashSet<string> Types(JsonElement property) => property.TryGetProperty("type", out var type)
        ? type.ValueKind == JsonValueKind.Array ? [.. type.EnumerateArray().Select(t => t.GetString()!)] : [type.GetString()!]
        : [];

    private static IEnumerable<(string Name, JsonElement Schema)> Properties(JsonElement schema) =>
        schema.TryGetProperty("properties", out var properties) ? properties.EnumerateObject().Select(p => (p.Name, p.Value)) : [];

    /// <summary>The operation's JSON body schema (the referenced component), or null when it takes no JSON body.</summary>
    private static JsonElement? JsonBodySchema(JsonElement document, JsonElement operation)
    {
        if (!operation.TryGetProperty("requestBody", out var body) || !body.GetProperty("content").TryGetProperty("application/json", out var json))
        {
            return null;
        }
        var schema = json.GetProperty("schema");
        var reference = schema.TryGetProperty("$ref", out var direct) ? direct.GetString()
            : schema.TryGetProperty("oneOf", out var oneOf) ? oneOf.EnumerateArray().Select(s => s.TryGetProperty("$ref", out var r) ? r.GetString() : null).FirstOrDefault(r => r is not null)
            : null;
        return reference is null ? schema : document.GetProperty("components").GetProperty("schemas").GetProperty(reference.Split('/')[^1]);
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
