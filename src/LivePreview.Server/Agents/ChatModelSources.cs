using System.ClientModel;
using Anthropic;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OpenAI;
using AnthropicClientOptions = Anthropic.Core.ClientOptions;

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
/// Claude through the official Anthropic SDK, whose <c>AsIChatClient</c> extension (namespace
/// Microsoft.Extensions.AI, in the Anthropic package itself) turns an <see cref="AnthropicClient"/>
/// into an <see cref="IChatClient"/>.
/// </summary>
internal sealed class AnthropicModelSource(IOptionsMonitor<AgentOptions> options) : IChatModelSource
{
    public const string AgentName = "anthropic";

    private readonly ClientCache<AnthropicClient> _clients = new();

    public string Name => AgentName;

    public string? DefaultModel => NullIfBlank(options.CurrentValue.Anthropic.Model);

    public AgentAvailability CheckAvailability(string? model)
    {
        var settings = options.CurrentValue.Anthropic;
        return settings.ResolveApiKey() is null
            ? AgentAvailability.Missing("Set LivePreview__Agents__Anthropic__ApiKey (or ANTHROPIC_API_KEY) to an Anthropic API key.")
            : settings.BaseUrl is { Length: > 0 } url && !IsHttpUrl(url)
                ? AgentAvailability.Missing($"LivePreview__Agents__Anthropic__BaseUrl '{url}' is not an http(s) URL; leave it empty for Anthropic's own API.")
                : NullIfBlank(model) is null && DefaultModel is null
                    ? AgentAvailability.Missing("Set LivePreview__Agents__Anthropic__Model, e.g. claude-sonnet-4-5, or choose a model for the session.")
                    : AgentAvailability.Ready;
    }

    public IChatClient GetClient(string model)
    {
        var current = options.CurrentValue;
        var client = _clients.Get(current, () => new AnthropicClient(new AnthropicClientOptions
        {
            ApiKey = current.Anthropic.ResolveApiKey(),
            BaseUrl = NullIfBlank(current.Anthropic.BaseUrl) ?? Anthropic.Core.EnvironmentUrl.Production,
            Timeout = current.RequestTimeout,
        }));
        return client.AsIChatClient(model, current.MaxOutputTokens);
    }

    internal static bool IsHttpUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";

    internal static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <summary>Any server that speaks OpenAI's chat completions (Ollama, vLLM, llama.cpp, LM Studio, OpenAI) through the OpenAI SDK.</summary>
internal sealed class OpenAIModelSource(IOptionsMonitor<AgentOptions> options) : IChatModelSource
{
    public const string AgentName = "openai";

    /// <summary>Local servers take any key, but the SDK refuses to send none.</summary>
    private const string PlaceholderKey = "no-key";

    private readonly ClientCache<OpenAIClient> _clients = new();

    public string Name => AgentName;

    public string? DefaultModel => AnthropicModelSource.NullIfBlank(options.CurrentValue.OpenAI.Model);

    public AgentAvailability CheckAvailability(string? model)
    {
        var settings = options.CurrentValue.OpenAI;
        return AnthropicModelSource.NullIfBlank(settings.BaseUrl) is not { } url
            ? AgentAvailability.Missing("Set LivePreview__Agents__OpenAI__BaseUrl and LivePreview__Agents__OpenAI__Model to an OpenAI-compatible server and model, e.g. http://localhost:11434/v1 and qwen2.5-coder (Ollama).")
            : !AnthropicModelSource.IsHttpUrl(url)
                ? AgentAvailability.Missing($"LivePreview__Agents__OpenAI__BaseUrl '{url}' is not an http(s) URL, e.g. http://localhost:11434/v1.")
                : AnthropicModelSource.NullIfBlank(model) is null && DefaultModel is null
                    ? AgentAvailability.Missing("Set LivePreview__Agents__OpenAI__Model, e.g. qwen2.5-coder, or choose a model for the session.")
                    : AgentAvailability.Ready;
    }

    public IChatClient GetClient(string model)
    {
        var current = options.CurrentValue;
        var client = _clients.Get(current, () => new OpenAIClient(
            new ApiKeyCredential(AnthropicModelSource.NullIfBlank(current.OpenAI.ApiKey) ?? PlaceholderKey),
            new OpenAIClientOptions { Endpoint = new Uri(current.OpenAI.BaseUrl!.Trim()), NetworkTimeout = current.RequestTimeout }));
        return client.GetChatClient(model).AsIChatClient();
    }
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
