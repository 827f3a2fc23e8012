using LivePreview.Snapshots;

namespace LivePreview.Tests.Snapshots;

public sealed class TemplateLocatorTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("livepreview-locator-test-").FullName;

    [Fact]
    public void A_configured_folder_that_does_not_exist_is_a_clear_error()
    {
        var missing = Path.Combine(_root, "nowhere");

        var error = Assert.Throws<SnapshotException>(() => TemplateLocator.Find(missing, []));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        Assert.Contains("LivePreview:TemplatesDirectory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_templates_folder_is_found_above_the_start_folder()
    {
        Directory.CreateDirectory(Path.Combine(_root, "templates", "react-vite"));
        File.WriteAllText(Path.Combine(_root, "templates", "react-vite", "package.json"), "{}");
        var deep = Directory.CreateDirectory(Path.Combine(_root, "src", "bin", "Debug")).FullName;

        Assert.Equal(Path.Combine(_root, "templates"), TemplateLocator.Find(null, [deep]));
    }

    [Fact]
    public void A_templates_folder_without_the_react_template_is_not_ours()
    {
        Directory.CreateDirectory(Path.Combine(_root, "templates", "something-else"));

        var error = Assert.Throws<SnapshotException>(() => TemplateLocator.Find(null, [_root]));

        Assert.Contains("templates/react-vite/package.json", error.Message, StringComparison.Ordinal);
        Assert.Contains("LivePreview:TemplatesDirectory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_repository_templates_are_found_from_the_test_binaries()
    {
        var found = TemplateLocator.Find(null);

        Assert.True(File.Exists(Path.Combine(found, "react-vite", "package.json")));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
