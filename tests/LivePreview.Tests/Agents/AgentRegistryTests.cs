using LivePreview.Agents;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LivePreview.Tests.Agents;

public sealed class AgentRegistryTests
{
    private readonly AgentKit _kit = new();

    private AgentRegistry Registry() => new([_kit.Anthropic(null, apiKey: _kit.Options.Anthropic.ApiKey), OpenAI(), _kit.Replay()], _kit.Monitor);

    private ChatAgentAdapter OpenAI() => _kit.OpenAI(_kit.Options.OpenAI.BaseUrl, _kit.Options.OpenAI.Model);

    [Fact]
    public void With_nothing_configured_there_is_no_default_and_the_message_says_what_to_set()
    {
        var registry = Registry();

        var status = registry.Availability(null);

        Assert.Null(status.Name);
        Assert.False(status.Available);
        Assert.Contains("LivePreview__Agents__Anthropic__ApiKey (or ANTHROPIC_API_KEY)", status.Problem);
        Assert.Contains("LivePreview__Agents__OpenAI__BaseUrl", status.Problem);
        Assert.Contains("http://localhost:11434/v1", status.Problem);
        Assert.Equal(status.Problem, Assert.Throws<AgentNotConfiguredException>(() => registry.Resolve(null)).Message);
    }

    [Fact]
    public void Replay_is_available_but_never_the_silent_default()
    {
        var registry = Registry();

        Assert.True(registry.Availability("replay").Available);
        Assert.Null(registry.DefaultAgent);
        Assert.Equal("replay", registry.Resolve("Replay").Name);
    }

    [Fact]
    public void An_anthropic_key_makes_anthropic_the_default()
    {
        _kit.Options.Anthropic.ApiKey = "sk-ant";
        _kit.Options.OpenAI.BaseUrl = "http://localhost:11434/v1";

        var registry = Registry();

        Assert.Equal("anthropic", registry.Resolve(null).Name);
    }

    [Fact]
    public void An_openai_compatible_server_is_the_default_without_an_anthropic_key()
    {
        _kit.Options.OpenAI = new OpenAIAgentOptions { BaseUrl = "http://localhost:11434/v1", Model = "qwen2.5-coder" };

        Assert.Equal("openai", Registry().Resolve(null).Name);
    }

    [Fact]
    public void The_configured_default_wins_and_a_named_agent_wins_over_it()
    {
        _kit.Options.Anthropic.ApiKey = "sk-ant";
        _kit.Options.DefaultAgent = "replay";

        var registry = Registry();

        Assert.Equal("replay", registry.Resolve(null).Name);
        Assert.Equal("anthropic", registry.Resolve("anthropic").Name);
    }

    [Fact]
    public void A_named_agent_that_cannot_run_says_what_to_set()
    {
        _kit.Options.OpenAI = new OpenAIAgentOptions { BaseUrl = "http://localhost:11434/v1" };
        var registry = Registry();

        Assert.Contains("LivePreview__Agents__OpenAI__Model", Assert.Throws<AgentNotConfiguredException>(() => registry.Resolve("openai")).Message);
        Assert.True(registry.Availability("openai", "llama3.2").Available);
        Assert.Contains("anthropic, openai, replay", registry.Availability("gpt-pilot").Problem);
    }

    [Fact]
    public void AddAgents_registers_the_five_agents_bound_to_configuration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LivePreview:Agents:OpenAI:BaseUrl"] = "http://localhost:11434/v1",
            ["LivePreview:Agents:OpenAI:Model"] = "qwen2.5-coder",
            ["LivePreview:Agents:MaxToolRounds"] = "7",
        }).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddSingleton<LivePreview.Events.IEventBus>(_kit.Events)
            .AddSingleton<LivePreview.Sandboxes.ISandboxProvider>(_kit.Sandbox)
            .AddAgents()
            .AddAgents();
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var registry = provider.GetRequiredService<AgentRegistry>();

        Assert.Equal(["anthropic", "openai", "claude-code", "opencode", "replay"], registry.All.Select(a => a.Name));
        Assert.True(registry.Availability("openai").Available);
        // Without sandbox agent processes (wired at merge) Claude Code says so rather than failing at its first turn.
        Assert.Contains("IAgentProcessHost", registry.Availability("claude-code").Problem);
        Assert.Contains("IAgentProcessHost", registry.Availability("opencode").Problem);
        Assert.Equal(7, provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<AgentOptions>>().Value.MaxToolRounds);
        Assert.NotNull(provider.GetRequiredService<AgentWorkspaceFactory>().For("sb1"));
    }
}
