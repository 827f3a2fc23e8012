using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Events;
using LivePreview.Tests.Hosting;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Events;

[Collection(ServiceCollection.Name)]
public sealed class EventPollingTests : IAsyncLifetime
{
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync() => _host = await EventFixtures.StartHostAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Pages_of_a_sandbox_chain_through_next_after_until_an_empty_page_that_keeps_the_cursor()
    {
        var (mine, other) = (EventFixtures.NewSandboxId(), EventFixtures.NewSandboxId());
        var bus = _host.Service<IEventBus>();
        var expected = new List<long>();
        for (var i = 0; i < 250; i++)
        {
            var e = await bus.PublishAsync(EventFixtures.FileChanged(i % 3 == 0 ? other : mine, i));
            if (e.SandboxId == mine) expected.Add(e.Sequence);
        }

        var (received, pages, after) = (new List<long>(), 0, 0L);
        while (true)
        {
            var page = await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/events?sandbox_id={mine}&after={after}&limit=50");
            var events = page.GetProperty("events").EnumerateArray().Select(e => e.Sequence()).ToList();
            Assert.Equal(events.Count == 0 ? after : events[^1], page.GetProperty("next_after").GetInt64());
            if (events.Count == 0) break;
            received.AddRange(events);
            (after, pages) = (page.GetProperty("next_after").GetInt64(), pages + 1);
        }

        Assert.Equal(expected, received);
        Assert.Equal(4, pages);
    }

    [Fact]
    public async Task The_default_page_is_a_hundred_events()
    {
        var bus = _host.Service<IEventBus>();
        var sandbox = EventFixtures.NewSandboxId();
        for (var i = 0; i < 120; i++)
        {
            await bus.PublishAsync(EventFixtures.FileChanged(sandbox, i));
        }

        var page = await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/events?sandbox_id={sandbox}");

        Assert.Equal(100, page.GetProperty("events").GetArrayLength());
    }

    [Theory]
    [InlineData("after=-1", "'after'")]
    [InlineData("after=abc", "'after'")]
    [InlineData("limit=5000", "between 1 and 1000")]
    [InlineData("limit=0", "between 1 and 1000")]
    [InlineData("types=FILE_CHANGED,NOPE", "'NOPE' is not an event type")]
    [InlineData("entity_type=dog", "'dog' is not an entity type")]
    [InlineData("sandbox_id=UPPER", "not a sandbox id")]
    [InlineData("sandboxid=abcdefghijkl", "'sandboxid' is not a parameter")]
    public async Task A_bad_query_is_a_400_problem_that_names_the_parameter(string query, string detail)
    {
        var problem = await ApiValidationTests.ProblemAsync(await _host.Http.GetAsync($"api/v1/events?{query}"), 400);
        Assert.Contains(detail, problem.GetProperty("detail").GetString());
    }
}
