using Microsoft.Extensions.Options;

namespace LivePreview.Agents;

/// <summary>
/// Every agent by name, and which one a session gets: the one it names, else
/// <see cref="AgentOptions.DefaultAgent"/>, else the first configured of "anthropic" and "openai".
/// "replay" is always there but only when asked for: a demo must never pass for a real model.
/// </summary>
public sealed class AgentRegistry(IEnumerable<IAgentAdapter> adapters, IOptionsMonitor<AgentOptions> options)
{
    private const string NoneConfigured =
        "No agent is configured. Set LivePreview__Agents__Anthropic__ApiKey (or ANTHROPIC_API_KEY) for Claude, "
        + "or LivePreview__Agents__OpenAI__BaseUrl and LivePreview__Agents__OpenAI__Model for an OpenAI-compatible server "
        + "(e.g. http://localhost:11434/v1 and qwen2.5-coder for Ollama); or choose the \"replay\" agent to play recorded demos.";

    /// <summary>First registration of a name wins.</summary>
    public IReadOnlyList<IAgentAdapter> All { get; } = adapters.DistinctBy(a => a.Name, StringComparer.OrdinalIgnoreCase).ToList();

    public IAgentAdapter? Find(string? name) =>
        All.FirstOrDefault(a => string.Equals(a.Name, name?.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>The agent a session that names none gets, or null when none is configured.</summary>
    public string? DefaultAgent
    {
        get
        {
            var current = options.CurrentValue;
            return !string.IsNullOrWhiteSpace(current.DefaultAgent) ? current.DefaultAgent.Trim()
                : current.Anthropic.ResolveApiKey() is not null ? AnthropicModelSource.AgentName
                : !string.IsNullOrWhiteSpace(current.OpenAI.BaseUrl) ? OpenAIModelSource.AgentName
                : null;
        }
    }

    /// <summary>Which agent <paramref name="agentName"/> (or the default) is, and whether it can run, or exactly what to set.</summary>
    public AgentStatus Availability(string? agentName, string? model = null)
    {
        var name = string.IsNullOrWhiteSpace(agentName) ? DefaultAgent : agentName.Trim();
        if (name is null)
        {
            return new AgentStatus(null, false, NoneConfigured);
        }
        if (Find(name) is not { } adapter)
        {
            return new AgentStatus(name, false, $"There is no agent '{name}'; the agents are {string.Join(", ", All.Select(a => a.Name))}.");
        }
        var availability = adapter.CheckAvailability(model);
        return new AgentStatus(adapter.Name, availability.Available, availability.Problem);
    }

    /// <exception cref="AgentNotConfiguredException">The agent is unknown or cannot run; the message says what to set.</exception>
    public IAgentAdapter Resolve(string? agentName, string? model = null)
    {
        var status = Availability(agentName, model);
        return status.Available
            ? Find(status.Name)!
            : throw new AgentNotConfiguredException(status.Problem ?? $"The agent '{status.Name}' cannot run.");
    }
}

/// <param name="Name">The agent's name; null when none was named and none is configured.</param>
/// <param name="Problem">What to set when it is not available.</param>
public sealed record AgentStatus(string? Name, bool Available, string? Problem);
