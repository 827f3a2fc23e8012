using System.ClientModel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OpenAI;

namespace LivePreview.Agents;

/// <summary>Any server that speaks OpenAI's chat completions (Ollama, vLLM, llama.cpp, LM Studio, OpenAI) through the OpenAI SDK.</summary>
internal sealed class OpenAIModelSource(IOptionsMonitor<AgentOptions> options) : IChatModelSource
{
    public const string AgentName = "openai";

    /// <summary>Local servers take any key, but the SDK refuses to send none.</summary>
    private const string PlaceholderKey = "no-key";

    private readonly ClientCache<OpenAIClient> _clients = new();

    public string Name => AgentName;

    public string? DefaultModel => Setting.NullIfBlank(options.CurrentValue.OpenAI.Model);

    public AgentAvailability CheckAvailability(string? model)
    {
        var url = Setting.NullIfBlank(options.CurrentValue.OpenAI.BaseUrl);
        if (url is null)
        {
            return AgentAvailability.Missing("Set LivePreview__Agents__OpenAI__BaseUrl and LivePreview__Agents__OpenAI__Model to an OpenAI-compatible server and model, e.g. http://localhost:11434/v1 and qwen2.5-coder (Ollama).");
        }
        if (!Setting.IsHttpUrl(url))
        {
            return AgentAvailability.Missing($"LivePreview__Agents__OpenAI__BaseUrl '{url}' is not an http(s) URL, e.g. http://localhost:11434/v1.");
        }
        return Setting.NullIfBlank(model) is null && DefaultModel is null
            ? AgentAvailability.Missing("Set LivePreview__Agents__OpenAI__Model, e.g. qwen2.5-coder, or choose a model for the session.")
            : AgentAvailability.Ready;
    }

    public IChatClient GetClient(string model)
    {
        var current = options.CurrentValue;
        var client = _clients.Get(current, () => new OpenAIClient(
            new ApiKeyCredential(Setting.NullIfBlank(current.OpenAI.ApiKey) ?? PlaceholderKey),
            new OpenAIClientOptions { Endpoint = new Uri(current.OpenAI.BaseUrl!.Trim()), NetworkTimeout = current.RequestTimeout }));
        return client.GetChatClient(model).AsIChatClient();
    }
}
