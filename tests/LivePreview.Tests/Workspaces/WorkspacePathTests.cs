using LivePreview.Sandboxes;
using LivePreview.Workspaces;

namespace LivePreview.Tests.Workspaces;

public sealed class WorkspacePathTests
{
    [Theory]
    [InlineData("src/App.tsx", "src/App.tsx")]
    [InlineData("./src//App.tsx", "src/App.tsx")]
    [InlineData("src/./components/Nav.tsx", "src/components/Nav.tsx")]
    [InlineData("", "")]
    [InlineData(".", "")]
    [InlineData("/", "")]
    [InlineData("a..b/c", "a..b/c")]
    public void Relative_paths_are_normalized(string raw, string expected) =>
        Assert.Equal(expected, WorkspacePath.Normalize(raw));

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("src/../../x")]
    [InlineData("a/..")]
    [InlineData("/etc/passwd")]
    [InlineData("~/secrets")]
    [InlineData("C:/Windows")]
    [InlineData("src\\..\\x")]
    [InlineData("src/App.tsx\0.png")]
    [InlineData("line\nbreak")]
    [InlineData("..%2F..%2Fetc")]
    [InlineData("%2fetc%2fpasswd")]
    public void Paths_that_leave_the_workspace_or_are_malformed_are_refused(string raw) =>
        Assert.Throws<InvalidWorkspacePathException>(() => WorkspacePath.Normalize(raw));

    [Fact]
    public void A_path_longer_than_the_limit_is_refused() =>
        Assert.Throws<InvalidWorkspacePathException>(() => WorkspacePath.Normalize(new string('a', WorkspacePath.MaxLength + 1)));

    [Fact]
    public void The_root_is_not_a_file() =>
        Assert.Throws<InvalidWorkspacePathException>(() => WorkspacePath.NormalizeFile("./"));

    [Fact]
    public void The_refusal_says_what_to_do()
    {
        var ex = Assert.Throws<InvalidWorkspacePathException>(() => WorkspacePath.Normalize("/etc/passwd"));
        Assert.Contains("relative to the workspace root", ex.Message);
    }
}
