using System.Globalization;
using System.Text.Json;
using LivePreview.Sandboxes;

namespace LivePreview.Proxy;

/// <summary>
/// What the client script says about one hot update it saw applied and painted, read from a hostile page: every
/// field is checked for its kind and bounds (a number must be a finite JSON number within [0, <see cref="MaxMs"/>],
/// never a string, NaN or an exponent past the bound), paths are cut and cleaned, and anything else is refused.
/// The browser's numbers span only the browser's own clock (<c>performance.now()</c> differences); they are never
/// combined with the server's clock.
/// </summary>
/// <param name="Kind"><c>hmr</c> (Vite applied a hot update) or <c>reload</c> (Vite reloaded the page for it).</param>
/// <param name="Updates">The modules Vite named, at most <see cref="MaxUpdates"/>.</param>
/// <param name="ReceivedToAppliedMs">From the update message reaching the page to Vite (and React's refresh) having applied it.</param>
/// <param name="ReceivedToPaintedMs">From the update message reaching the page to the second animation frame after it was applied.</param>
internal sealed record UpdateReport(string Kind, IReadOnlyList<UpdatedModule> Updates, double ReceivedToAppliedMs, double ReceivedToPaintedMs)
{
    public const int MaxBytes = 8 * 1024;
    public const int MaxUpdates = 20;
    public const double MaxMs = 120_000;
    private const int MaxPathChars = 500;
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 4 };
    private static readonly string[] Kinds = ["hmr", "reload"];
    private static readonly string[] UpdateTypes = ["js-update", "css-update"];

    /// <summary>Identifies the update across tabs: Vite sends every page the same paths and timestamps.</summary>
    public string Key => Kind + "|" + string.Join("|", Updates.Select(u => $"{u.Type}:{u.Path}:{u.Timestamp?.ToString(CultureInfo.InvariantCulture)}"));

    /// <summary>The report, or null with what was wrong.</summary>
    public static UpdateReport? Parse(ReadOnlySpan<byte> json, out string? error)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray(), DocumentOptions);
            return Read(document.RootElement, out error);
        }
        catch (JsonException)
        {
            error = "The report is not valid JSON.";
            return null;
        }
    }

    private static UpdateReport? Read(JsonElement root, out string? error)
    {
        error = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "An update report is a JSON object.";
            return null;
        }
        var kind = String(root, "kind");
        if (kind is null || !Kinds.Contains(kind))
        {
            error = "\"kind\" is \"hmr\" or \"reload\".";
            return null;
        }
        var applied = Milliseconds(root, "received_to_applied_ms");
        var painted = Milliseconds(root, "received_to_painted_ms");
        if (applied is null || painted is null || applied > painted)
        {
            error = $"\"received_to_applied_ms\" and \"received_to_painted_ms\" are numbers of milliseconds from 0 to {MaxMs}, applied at most painted.";
            return null;
        }
        var updates = Modules(root, out error);
        return updates is null ? null : new UpdateReport(kind, updates, Math.Round(applied.Value, 1), Math.Round(painted.Value, 1));
    }

    private static List<UpdatedModule>? Modules(JsonElement root, out string? error)
    {
        error = $"\"updates\" is a list of at most {MaxUpdates} objects {{ \"path\", \"type\" (js-update or css-update), \"timestamp\" }}.";
        if (!root.TryGetProperty("updates", out var list))
        {
            error = null;
            return [];
        }
        if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() > MaxUpdates)
        {
            return null;
        }
        var modules = new List<UpdatedModule>();
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || String(item, "path") is not { Length: > 0 } path || String(item, "type") is not { } type
                || !UpdateTypes.Contains(type) || !Timestamp(item, out var timestamp))
            {
                return null;
            }
            modules.Add(new UpdatedModule(SandboxText.Clean(path, MaxPathChars), type, timestamp));
        }
        error = null;
        return modules;
    }

    private static string? String(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static double? Milliseconds(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var ms)
        && double.IsFinite(ms) && ms is >= 0 and <= MaxMs ? ms : null;

    /// <summary>Vite's own timestamp of the update (the dev server's clock): only for telling updates apart, never for timing.</summary>
    private static bool Timestamp(JsonElement o, out long? timestamp)
    {
        timestamp = null;
        if (!o.TryGetProperty("timestamp", out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return true;
        }
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var t) && t >= 0)
        {
            timestamp = t;
            return true;
        }
        return false;
    }
}

/// <param name="Path">The module's URL path as Vite names it (<c>/src/App.tsx</c>).</param>
internal sealed record UpdatedModule(string Path, string Type, long? Timestamp);
