using Bunit;
using Microsoft.AspNetCore.Components;
using LivePreview.Agents;
using LivePreview.Frameworks;
using LivePreview.Tests.Events;
using LivePreview.Ui.Prototype;
using Microsoft.Extensions.DependencyInjection;

namespace LivePreview.Tests.Ui;

public sealed class StartFormTests : BunitContext
{
    private const string Missing = "Set LivePreview__Agents__Anthropic__ApiKey (or ANTHROPIC_API_KEY) to an Anthropic API key.";

    public StartFormTests()
    {
        IAgentAdapter[] adapters = [new FakeAgent("anthropic", Missing), new FakeAgent("replay", null)];
        Services.AddSingleton(new AgentRegistry(adapters, new FixedOptionsMonitor<AgentOptions>(new AgentOptions())));
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    [Fact]
    public void An_agent_that_is_not_configured_says_what_to_set_and_the_session_can_still_start()
    {
        StartChoice? started = null;
        var form = Render<StartForm>(p => p.Add(x => x.OnStart, c => started = c));

        Assert.Equal("anthropic", form.Find("[data-testid=prototype-agent]").GetAttribute("value"));
        Assert.Contains(Missing, form.Find("[data-testid=prototype-agent-problem]").TextContent);
        Assert.Contains("not configured", form.Find("option[value=anthropic]").TextContent);

        form.Find("[data-testid=prototype-start]").Click();

        Assert.Equal(new StartChoice(FrameworkCatalog.ReactVite, "anthropic"), started);
    }

    [Fact]
    public void The_chosen_framework_and_agent_are_what_Start_raises()
    {
        StartChoice? started = null;
        var form = Render<StartForm>(p => p.Add(x => x.OnStart, c => started = c));

        form.Find("[data-testid=prototype-framework-vue-vite] input").Change("vue-vite");
        form.Find("[data-testid=prototype-agent]").Change("replay");
        form.Find("[data-testid=prototype-start]").Click();

        Assert.Empty(form.FindAll("[data-testid=prototype-agent-problem]"));
        Assert.Equal(new StartChoice(FrameworkCatalog.VueVite, "replay"), started);
    }

    [Fact]
    public void While_starting_the_button_is_disabled_and_a_failure_is_said()
    {
        var form = Render<StartForm>(p => p.Add(x => x.Busy, true).Add(x => x.Error, "Too many sandboxes: at most 10 may exist."));

        Assert.True(form.Find("[data-testid=prototype-start]").HasAttribute("disabled"));
        Assert.Contains("Too many sandboxes", form.Find("[data-testid=prototype-start-error]").TextContent);
    }

    private sealed class FakeAgent(string name, string? problem) : IAgentAdapter
    {
        public string Name => name;

        public AgentAvailability CheckAvailability(string? model) => problem is null ? AgentAvailability.Ready : AgentAvailability.Missing(problem);

        public IAsyncEnumerable<AgentEvent> RunTurnAsync(AgentTurn turn, CancellationToken cancellationToken) =>
            throw new NotSupportedException("The start form never runs a turn.");
    }
}
