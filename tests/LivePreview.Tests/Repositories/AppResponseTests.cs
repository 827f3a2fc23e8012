using LivePreview.Sandboxes;

namespace LivePreview.Tests.Repositories;

public sealed class AppResponseTests : IDisposable
{
    private readonly RepositoryFixture _repo = new();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task The_dev_tool_version_is_the_declared_range_until_the_dependencies_are_installed_then_the_installed_version()
    {
        _repo.Package("", """{ "vite": "^8.3.4", "lit": "^3" }""", """{ "dev": "vite" }""");
        var profile = await _repo.DetectAsync();
        Assert.Equal("^8.3.4", AppResponse.From(profile).DevToolVersion);

        _repo.Installed("node_modules", "vite", "8.4.0", "bin/vite.js", "vite");
        var plan = await _repo.PlanAsync();

        Assert.Equal("8.4.0", AppResponse.From(profile, plan).DevToolVersion);
    }
}
