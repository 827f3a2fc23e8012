using LivePreview.Agents;
using LivePreview.Events;
using LivePreview.Tests.Snapshots;

namespace LivePreview.Tests.Agents;

public sealed class AgentEventPublisherTests
{
    private static async IAsyncEnumerable<AgentEvent> Turn()
    {
        yield return new AgentTextDelta("Let me ask");
        yield return new AgentTextDelta(" first.");
        yield return new AgentToolCalled("ask_user", "{}");
        yield return new AgentToolCompleted("ask_user", true, "The user answered: Welcome", null);
        yield return new AgentTextDelta("Changing the heading.");
        yield return new AgentToolCalled("write_file", "{}", "src/App.tsx");
        yield return new AgentToolCompleted("write_file", true, "Wrote src/App.tsx", "src/App.tsx");
        yield return new AgentTextDelta(" Done.");
        yield return new AgentTurnCompleted(null, 10, 5);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task What_the_agent_says_between_tool_calls_becomes_paragraphs_of_the_summary_and_the_feed_gets_each_burst()
    {
        var bus = new RecordingEventBus();
        var transcript = new AgentTranscript();

        var failure = await new AgentEventPublisher(bus).StreamAsync(new AgentEventScope(EntityTypes.Prototype, "ps1", "sb1", "tn1"), Turn(), transcript, CancellationToken.None);

        Assert.Null(failure);
        Assert.Equal("Let me ask first.\n\nChanging the heading. Done.", transcript.Text.ToString());
        Assert.Equal(["src/App.tsx"], transcript.Edited);
        Assert.Equal(["Let me ask first.", "Changing the heading.", " Done."],
            bus.OfType(EventTypes.AgentText).Select(e => e.Payload!.Value.GetProperty("details").GetProperty("text").GetString()));
    }
}
