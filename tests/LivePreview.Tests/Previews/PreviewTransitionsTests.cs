using LivePreview.Events;
using LivePreview.Persistence;
using LivePreview.Previews;

namespace LivePreview.Tests.Previews;

public sealed class PreviewTransitionsTests
{
    [Theory]
    [InlineData(PreviewStatus.Pending, PreviewStatus.Starting)]
    [InlineData(PreviewStatus.Starting, PreviewStatus.Ready)]
    [InlineData(PreviewStatus.Ready, PreviewStatus.Starting)]
    [InlineData(PreviewStatus.Ready, PreviewStatus.Stopped)]
    [InlineData(PreviewStatus.Starting, PreviewStatus.Error)]
    [InlineData(PreviewStatus.Error, PreviewStatus.Pending)]
    [InlineData(PreviewStatus.Stopped, PreviewStatus.Pending)]
    public void The_lifecycle_moves_forward_and_restarts(PreviewStatus from, PreviewStatus to) =>
        Assert.True(PreviewTransitions.IsAllowed(from, to));

    [Theory]
    [InlineData(PreviewStatus.Pending, PreviewStatus.Ready)]
    [InlineData(PreviewStatus.Stopped, PreviewStatus.Ready)]
    [InlineData(PreviewStatus.Error, PreviewStatus.Ready)]
    [InlineData(PreviewStatus.Stopped, PreviewStatus.Error)]
    [InlineData(PreviewStatus.Ready, PreviewStatus.Pending)]
    public void A_preview_never_becomes_ready_without_starting(PreviewStatus from, PreviewStatus to) =>
        Assert.False(PreviewTransitions.IsAllowed(from, to));

    [Fact]
    public void Every_status_has_an_upper_case_event()
    {
        foreach (var status in Enum.GetValues<PreviewStatus>())
        {
            var type = PreviewTransitions.EventType(status);
            Assert.Equal(type.ToUpperInvariant(), type);
        }
        Assert.Equal(EventTypes.PreviewReady, PreviewTransitions.EventType(PreviewStatus.Ready));
    }
}
