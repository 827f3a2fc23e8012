using Anthropic;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using AnthropicClientOptions = Anthropic.Core.ClientOptions;

namespace LivePreview.Agents;

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

    public string? DefaultModel => Setting.NullIfBlank(options.CurrentValue.Anthropic.Model);

    public AgentAvailability CheckAvailability(string? model)
    {
        var settings = options.CurrentValue.Anthropic;
        if (settings.ResolveApiKey() is null)
        {
            return AgentAvailability.Missing("Set LivePreview__Agents__Anthropic__ApiKey (or ANTHROPIC_API_KEY) to an Anthropic API key.");
        }
        if (Setting.NullIfBlank(settings.BaseUrl) is { } url && !Setting.IsHttpUrl(url))
        {
            return AgentAvailability.Missing($"LivePreview__Agents__Anthropic__BaseUrl '{url}' is not an http(s) URL; leave it empty for Anthropic's own API.");
        }
        return Setting.NullIfBlank(model) is null && DefaultModel is null
            ? AgentAvailability.Missing("Set LivePreview__Agents__Anthropic__Model, e.g. claude-sonnet-4-5, or choose a model for the session.")
            : AgentAvailability.Ready;
    }

    public IChatClient GetClient(string model)
    {
        var current = options.CurrentValue;
        var client = _clients.Get(current, () => new AnthropicClient(new AnthropicClientOptions
        {
            ApiKey = current.Anthropic.ResolveApiKey(),
            BaseUrl = Setting.NullIfBlank(current.Anthropic.BaseUrl) ?? Anthropic.Core.EnvironmentUrl.Production,
            Timeout = current.RequestTimeout,
        }));
        return client.AsIChatClient(model, current.MaxOutputTokens);
    }
}
