using LivePreview.Events;
using LivePreview.Frameworks;
using LivePreview.Snapshots;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace LivePreview.Tests.Snapshots;

public sealed class BuildReporterTests
{
    private readonly RecordingEventBus _events = new();
    private readonly FakeTimeProvider _time = new();
    private readonly List<string> _lines = [];

    [Fact]
    public async Task Output_lines_become_at_most_two_progress_events_a_second_but_every_line_reaches_the_listeners()
    {
        var reporter = CreateReporter();

        for (var i = 0; i < 10; i++)
        {
            await reporter.OutputAsync($"line {i}", CancellationToken.None);
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }

        Assert.Equal(2, _events.OfType(EventTypes.SnapshotBuildProgress).Count);
        Assert.Equal(10, _lines.Count);
    }

    [Fact]
    public async Task Steps_are_always_published()
    {
        var reporter = CreateReporter();

        await reporter.StepAsync("one", CancellationToken.None);
        await reporter.StepAsync("two", CancellationToken.None);

        Assert.Equal(["one", "two"], _events.OfType(EventTypes.SnapshotBuildProgress).Select(e => e.Payload!.Value.GetProperty("message").GetString()));
    }

    private BuildReporter CreateReporter()
    {
        var template = new SnapshotTemplate(FrameworkCatalog.ReactVite, "/tmp/x", new string('a', 64), "react-vite-aaaaaaaaaaaa");
        var reporter = new BuildReporter(_events, NullLogger.Instance, _time, template);
        reporter.AddListener(new Collect(_lines));
        return reporter;
    }

    private sealed class Collect(List<string> lines) : IProgress<string>
    {
        public void Report(string value) => lines.Add(value);
    }
}
