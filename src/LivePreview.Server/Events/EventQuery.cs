using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using LivePreview.Hosting;
using LivePreview.Sandboxes;

namespace LivePreview.Events;

/// <summary>
/// The cursor, filter and page size of an events request, read from the query string and validated
/// once for both the polling endpoint and the WebSocket (before it is upgraded).
/// </summary>
internal sealed record EventQuery(EventFilter Filter, long After, int Limit)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    private static readonly string[] FilterParameters = ["after", "sandbox_id", "types", "entity_type", "entity_id"];

    public static bool TryParse(IQueryCollection query, bool withLimit, [NotNullWhen(true)] out EventQuery? parsed, [NotNullWhen(false)] out IResult? problem)
    {
        var error = CheckNames(query, withLimit) ?? CheckSandboxId(query) ?? CheckEntityType(query);
        long after = 0;
        int limit = DefaultLimit;
        IReadOnlySet<string>? types = null;
        error ??= ParseAfter(query, out after);
        error ??= ParseLimit(query, withLimit, out limit);
        error ??= ParseTypes(query, out types);
        parsed = error is null
            ? new EventQuery(new EventFilter(Value(query, "sandbox_id"), types, Value(query, "entity_type"), Value(query, "entity_id")), after, limit)
            : null;
        problem = error is null ? null : Problems.BadRequest("Invalid event query", error);
        return error is null;
    }

    /// <summary>A misspelt filter would otherwise silently stream every event.</summary>
    private static string? CheckNames(IQueryCollection query, bool withLimit)
    {
        string[] known = withLimit ? [.. FilterParameters, "limit"] : FilterParameters;
        var unknown = query.Keys.FirstOrDefault(k => !known.Contains(k, StringComparer.OrdinalIgnoreCase));
        return unknown is null ? null : $"'{unknown}' is not a parameter here; use {string.Join(", ", known)}.";
    }

    private static string? ParseAfter(IQueryCollection query, out long after)
    {
        after = 0;
        var text = Value(query, "after");
        return text is null || long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out after)
            ? null
            : $"'after' must be an event sequence number, 0 or more (the last one you received); got '{text}'.";
    }

    private static string? ParseLimit(IQueryCollection query, bool withLimit, out int limit)
    {
        limit = DefaultLimit;
        var text = withLimit ? Value(query, "limit") : null;
        return text is null || (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) && limit is >= 1 and <= MaxLimit)
            ? null
            : $"'limit' must be between 1 and {MaxLimit}; got '{text}'. Page with 'after' = the 'next_after' of the previous page.";
    }

    private static string? CheckSandboxId(IQueryCollection query) => Value(query, "sandbox_id") is { } id && !SandboxId.IsValid(id)
        ? $"'{id}' is not a sandbox id ({SandboxId.Length} lower-case letters and digits, starting with a letter)."
        : null;

    private static string? CheckEntityType(IQueryCollection query) => Value(query, "entity_type") is { } type && !EntityTypes.All.Contains(type)
        ? $"'{type}' is not an entity type; use one of {string.Join(", ", EntityTypes.All)}."
        : null;

    private static string? ParseTypes(IQueryCollection query, out IReadOnlySet<string>? types)
    {
        types = null;
        var names = Value(query, "types")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => t.ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);
        var unknown = names?.FirstOrDefault(t => !EventTypes.All.Contains(t));
        if (unknown is not null)
        {
            return $"'{unknown}' is not an event type; use a comma-separated list of {string.Join(", ", EventTypes.All)}.";
        }
        types = names is { Count: > 0 } ? names : null;
        return null;
    }

    /// <summary>An empty value counts as absent, so clients that always send every parameter still work.</summary>
    private static string? Value(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var values) && !string.IsNullOrEmpty(values.ToString()) ? values.ToString() : null;
}
