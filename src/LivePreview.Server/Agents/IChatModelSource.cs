using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace LivePreview.Agents;

/// <summary>The provider-specific part of a <see cref="ChatAgentAdapter"/>: where the model is and how to reach it.</summary>
internal interface IChatModelSource
{
    string Name { get; }

    AgentAvailability CheckAvailability(string? model);

    /// <summary>The model of a turn that names none.</summary>
    string? DefaultModel { get; }

    /// <summary>A client for <paramref name="model"/>; only called when <see cref="CheckAvailability"/> says ready.</summary>
    IChatClient GetClient(string model);
}

/// <summary>
/// One SDK client per options value: <see cref="IOptionsMonitor{T}"/> hands out a new instance only
/// when configuration changes. A replaced client is not disposed: a running turn may still use it.
/// </summary>
internal sealed class ClientCache<TClient> where TClient : class
{
    private Entry? _current;

    public TClient Get(AgentOptions options, Func<TClient> create)
    {
        var current = Volatile.Read(ref _current);
        if (current is not null && ReferenceEquals(current.Options, options))
        {
            return current.Client;
        }
        var entry = new Entry(options, create());
        Volatile.Write(ref _current, entry);
        return entry.Client;
    }

    private sealed record Entry(AgentOptions Options, TClient Client);
}

/// <summary>Reading the text settings of a model source.</summary>
internal static class Setting
{
    public static bool IsHttpUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";

    public static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
