namespace LivePreview.Agents;

/// <summary>The coding agents and their limits (section <c>LivePreview:Agents</c>).</summary>
public sealed class AgentOptions
{
    public const string Section = "LivePreview:Agents";

    /// <summary>
    /// The agent a session gets when it names none: "anthropic", "openai" or "replay". Null picks
    /// "anthropic" when its API key is set, else "openai" when its base URL is set, else none;
    /// "replay" is only ever used when named here or by the session.
    /// </summary>
    public string? DefaultAgent { get; set; }

    /// <summary>Most model round trips with tool calls in one turn; the turn fails with a clear message past it.</summary>
    public int MaxToolRounds { get; set; } = 25;

    /// <summary>Most tokens the model may write per response; whole-file writes need room.</summary>
    public int MaxOutputTokens { get; set; } = 8192;

    /// <summary>Longest a single model request may take, streaming included (local models can be slow).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Largest file <c>read_file</c> returns to the model, in bytes.</summary>
    public int MaxReadBytes { get; set; } = 256 * 1024;

    /// <summary>Most paths <c>list_files</c> returns.</summary>
    public int MaxListedFiles { get; set; } = 500;

    /// <summary>Longest string argument (a file's content) kept in <see cref="AgentToolCalled.ArgumentsJson"/>; events stay small.</summary>
    public int MaxEventArgumentChars { get; set; } = 2000;

    /// <summary>How much of a <c>run_command</c> output (its end) goes back to the model.</summary>
    public int CommandOutputTailChars { get; set; } = 4000;

    /// <summary>Folder of recorded transcripts, one subfolder per framework; null means <c>replays/</c> beside the templates folder.</summary>
    public string? ReplayDirectory { get; set; }

    /// <summary>Multiplies the recorded pauses of a replay: 1 plays them as recorded, 0 skips them (tests, benchmarks).</summary>
    public double ReplayDelayScale { get; set; } = 1;

    public AnthropicAgentOptions Anthropic { get; set; } = new();

    public OpenAIAgentOptions OpenAI { get; set; } = new();

    internal bool IsValid() =>
        MaxToolRounds > 0 && MaxOutputTokens > 0 && RequestTimeout > TimeSpan.Zero && MaxReadBytes > 0
        && MaxListedFiles > 0 && MaxEventArgumentChars >= 0 && ReplayDelayScale >= 0;
}

/// <summary>Claude through the official Anthropic SDK (section <c>LivePreview:Agents:Anthropic</c>).</summary>
public sealed class AnthropicAgentOptions
{
    /// <summary>The API key; when unset, <see cref="AgentsExtensions.AddAgents"/> takes the <c>ANTHROPIC_API_KEY</c> environment variable.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Overrides the API's address (a gateway, or a local fake in tests); null is Anthropic's own.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>The model a session gets when it names none.</summary>
    public string Model { get; set; } = "claude-sonnet-4-5";

    internal string? ResolveApiKey() => string.IsNullOrWhiteSpace(ApiKey) ? null : ApiKey.Trim();
}

/// <summary>Any OpenAI-compatible chat-completions server: Ollama, vLLM, llama.cpp, LM Studio, OpenAI (section <c>LivePreview:Agents:OpenAI</c>).</summary>
public sealed class OpenAIAgentOptions
{
    /// <summary>The server's API root, e.g. <c>http://localhost:11434/v1</c> for Ollama.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>The API key; most local servers need none, and then a placeholder is sent.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The model a session gets when it names none, e.g. <c>qwen2.5-coder</c>.</summary>
    public string? Model { get; set; }
}
