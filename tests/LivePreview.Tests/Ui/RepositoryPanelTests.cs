using Bunit;
using LivePreview.Persistence;
using LivePreview.Repositories;
using LivePreview.Sandboxes;
using LivePreview.Ui.Sandbox;

namespace LivePreview.Tests.Ui;

public sealed class RepositoryPanelTests : BunitContext
{
    private static SandboxSnapshot Sandbox(SandboxStatus status, DependencyInfo? deps) => new(
        "sb1234567890", "react-vite", "local", status, null, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "u1",
        new RepositorySource("https://git.example/shop.git", "main", new string('a', 40)),
        new AppProfile("react-vite", "vite", "^8.3.8", PackageManager.Npm, "package-lock.json", "", "dev", 5173, true, ["npm: package-lock.json"]),
        deps);

    [Fact]
    public void A_repository_sandbox_shows_its_remote_commit_profile_reasons_and_layer()
    {
        var panel = Render<RepositoryPanel>(p => p.Add(x => x.Sandbox, Sandbox(SandboxStatus.Running, new DependencyInfo(new string('b', 64), true, 0))));

        Assert.Equal("https://git.example/shop.git", panel.Find("[data-testid=repository-url]").TextContent);
        Assert.Contains("main @ aaaaaaaaaaaa", panel.Find("[data-testid=repository-commit]").TextContent);
        Assert.Contains("vite ^8.3.8", panel.Find("[data-testid=repository-app]").TextContent);
        Assert.Contains("npm: package-lock.json", panel.Find("[data-testid=repository-reasons]").TextContent);
        Assert.Contains("reused", panel.Find("[data-testid=repository-dependencies]").TextContent);
    }

    [Fact]
    public void While_it_is_made_the_install_says_its_latest_line()
    {
        var panel = Render<RepositoryPanel>(p => p.Add(x => x.Sandbox, Sandbox(SandboxStatus.Creating, null)).Add(x => x.InstallLine, "added 120 packages"));

        Assert.Contains("added 120 packages", panel.Find("[data-testid=repository-installing]").TextContent);
    }
}
