using LivePreview.Frameworks;

namespace LivePreview.Ui.Prototype;

/// <summary>What a session is started with.</summary>
public sealed record StartChoice(FrameworkDefinition Framework, string? Agent);

/// <summary>Agents by the names people know them by.</summary>
internal static class AgentNames
{
    public static string Describe(string? name) => name switch
    {
        "anthropic" => "Claude (Anthropic)",
        "openai" => "OpenAI-compatible server",
        "replay" => "Replay (recorded demos)",
        null or "" => "No agent",
        _ => name,
    };
}
