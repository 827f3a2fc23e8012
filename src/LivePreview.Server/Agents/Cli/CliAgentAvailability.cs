namespace LivePreview.Agents.Cli;

/// <summary>What every CLI agent needs before it can run, in the order a user fixes it, with the sentence that says what to do.</summary>
internal static class CliAgentAvailability
{
    public static AgentAvailability Check(string agent, bool hasProcessHost, AgentToolsLayer tools, AgentOptions options)
    {
        if (!hasProcessHost)
        {
            return AgentAvailability.Missing(
                $"{agent} runs inside a sandbox, and this service has no agent process host (IAgentProcessHost) registered to start it there.");
        }
        if (tools.Problem is { } missing)
        {
            return AgentAvailability.Missing(missing);
        }
        return options.Anthropic.ResolveApiKey() is null
            ? AgentAvailability.Missing(
                $"{agent} reaches the model through LivePreview's model gateway, which needs the real key: set LivePreview__Agents__Anthropic__ApiKey (or ANTHROPIC_API_KEY).")
            : AgentAvailability.Ready;
    }
}
