using System.Text.Json;
using System.Text.Json.Serialization;

namespace LivePreview.Repositories;

/// <summary>Where a sandbox's files came from: the remote as the policy wrote it (never with a credential), the branch, the commit checked out.</summary>
public sealed record RepositorySource(string Url, string? Branch, string? Commit);

/// <summary>The dependency layer a sandbox sits on, whether it existed already, and how long its install took (0 when reused).</summary>
public sealed record DependencyInfo(string Layer, bool Reused, long InstallMs);

/// <summary>What a create request asks for: a repository, optionally a branch (null: the remote's default).</summary>
public sealed record RepositoryRequest(string? Url, string? Branch);

/// <summary>A repository that cannot become a sandbox as asked, with the HTTP status that says why (400 bad input, 422 unusable repository, 507 too big).</summary>
public sealed class RepositoryException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>The JSON kept in the sandbox row (profile, plan): stable names, enums as text.</summary>
internal static class RepositoryJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.General)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T? Read<T>(string? json) where T : class =>
        json is null ? null : JsonSerializer.Deserialize<T>(json, Options);
}
