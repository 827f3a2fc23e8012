using LivePreview.Proxy;

namespace LivePreview.Tests.Proxy;

public sealed class FriendlyPageTests
{
    [Theory]
    [InlineData(PreviewProblem.Unknown, 404)]
    [InlineData(PreviewProblem.Starting, 503)]
    [InlineData(PreviewProblem.Stopped, 503)]
    [InlineData(PreviewProblem.Failed, 502)]
    [InlineData(PreviewProblem.PortClosed, 502)]
    [InlineData(PreviewProblem.Unauthorized, 401)]
    public void Each_problem_has_its_status_code(PreviewProblem problem, int status) =>
        Assert.Equal(status, FriendlyPage.StatusCode(problem));

    [Fact]
    public void Only_the_starting_page_refreshes_itself()
    {
        Assert.Contains("http-equiv=\"refresh\"", FriendlyPage.Render(PreviewProblem.Starting, null));
        Assert.DoesNotContain("http-equiv=\"refresh\"", FriendlyPage.Render(PreviewProblem.Stopped, null));
    }

    [Fact]
    public void Details_are_html_encoded() =>
        Assert.Contains("&lt;script&gt;", FriendlyPage.Render(PreviewProblem.Failed, "<script>alert(1)</script>"));
}
