using LivePreview.Repositories;
using LivePreview.Repositories.Detection;

namespace LivePreview.Tests.Repositories;

public sealed class AppDetectorMonorepoTests : IDisposable
{
    private readonly RepositoryFixture _repo = new();

    public void Dispose() => _repo.Dispose();

    private void ThreePackages()
    {
        _repo.Package("apps/api", """{ "express": "^4" }""", """{ "dev": "node --watch server.js" }""")
            .Package("apps/web", """{ "vite": "^7", "react": "^19" }""", """{ "dev": "vite" }""")
            .Package("packages/ui", """{ "vite": "^7", "react": "^19" }""", """{ "build": "vite build" }""");
    }

    [Fact]
    public async Task Npm_workspaces_pick_the_first_package_with_a_dev_script_and_a_frontend_dependency()
    {
        _repo.Package("", extra: "\"workspaces\": [\"packages/*\", \"apps/*\"]").Write("package-lock.json", "{}");
        ThreePackages();

        var profile = await _repo.DetectAsync();

        Assert.Equal(("apps/web", "react-vite", "package-lock.json"), (profile.AppDirectory, profile.Framework, profile.LockFile));
        Assert.Contains(profile.Reasons, r => r.Contains("app apps/web: the first of 3 workspace packages", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Yarn_style_workspaces_with_packages_are_read_too()
    {
        _repo.Package("", extra: "\"workspaces\": { \"packages\": [\"apps/*\"], \"nohoist\": [] }");
        ThreePackages();

        Assert.Equal("apps/web", (await _repo.DetectAsync()).AppDirectory);
    }

    [Fact]
    public async Task Pnpm_workspace_yaml_lists_the_packages_with_comments_quotes_and_deep_globs()
    {
        _repo.Package("").Write("pnpm-lock.yaml", "lockfileVersion: '9.0'\n").Write("pnpm-workspace.yaml", """
            # the workspace
            packages:
              # libraries first
              - 'packages/*'
              - "tools/**" # anything below tools
            onlyBuiltDependencies:
              - apps/api
            """);
        _repo.Package("apps/api", """{ "vite": "^7", "react": "^19" }""", """{ "dev": "vite" }""")
            .Package("tools/deep/site", """{ "astro": "^5" }""", """{ "dev": "astro dev" }""");

        var profile = await _repo.DetectAsync();

        Assert.Equal(("tools/deep/site", "astro", PackageManager.Pnpm, "pnpm-lock.yaml"),
            (profile.AppDirectory, profile.Framework, profile.PackageManager, profile.LockFile));
        Assert.Contains(profile.Reasons, r => r.Contains("pnpm-workspace.yaml", StringComparison.Ordinal));
    }

    [Fact]
    public void The_pnpm_workspace_yaml_reader_understands_a_flow_list_and_stops_at_the_next_key()
    {
        Assert.Equal(["apps/*", "packages/*"], PnpmWorkspaceYaml.Packages("packages: ['apps/*', \"packages/*\"]\ncatalog:\n  - x\n"));
        Assert.Equal(["a", "b#c"], PnpmWorkspaceYaml.Packages("packages:\n- a # one\n- 'b#c'\nnext:\n  - no\n"));
        Assert.Null(PnpmWorkspaceYaml.Packages("catalog:\n  react: ^19\n"));
    }

    [Fact]
    public async Task The_preview_app_hint_in_the_root_package_json_wins()
    {
        _repo.Package("", extra: "\"workspaces\": [\"apps/*\"], \"preview\": { \"app\": \"apps/api\" }");
        ThreePackages();

        var profile = await _repo.DetectAsync();

        Assert.Equal(("apps/api", "node"), (profile.AppDirectory, profile.Framework));
        Assert.Contains(profile.Reasons, r => r.Contains("preview.app", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("apps/missing")]
    [InlineData("../outside")]
    [InlineData("/etc")]
    public async Task A_preview_app_hint_that_names_no_package_is_refused(string hint)
    {
        _repo.Package("", extra: $"\"workspaces\": [\"apps/*\"], \"preview\": {{ \"app\": \"{hint}\" }}");
        ThreePackages();
        _repo.WriteOutside("package.json", """{ "scripts": { "dev": "vite" }, "dependencies": { "vite": "^6" } }""");

        var error = await Assert.ThrowsAsync<AppDetectionException>(() => _repo.DetectAsync());

        Assert.Contains("preview", error.Message);
    }

    [Fact]
    public async Task Without_a_frontend_the_first_package_with_a_dev_script_is_the_app()
    {
        _repo.Package("", extra: "\"workspaces\": [\"apps/*\"]")
            .Package("apps/a-lib", """{ "lodash": "^4" }""")
            .Package("apps/b-worker", """{ "bullmq": "^5" }""", """{ "start": "node worker.js" }""")
            .Package("apps/c-server", """{ "fastify": "^5" }""", """{ "dev": "node server.js" }""");

        var profile = await _repo.DetectAsync();

        Assert.Equal(("apps/b-worker", "node", "start", false), (profile.AppDirectory, profile.Framework, profile.DevScript, profile.Frontend));
    }

    [Fact]
    public async Task Without_any_dev_script_in_the_workspaces_the_root_is_the_app()
    {
        _repo.Package("", """{ "vite": "^6" }""", """{ "dev": "vite" }""", "\"workspaces\": [\"packages/*\"]")
            .Package("packages/lib", """{ "lodash": "^4" }""");

        Assert.Equal("", (await _repo.DetectAsync()).AppDirectory);
    }

    [Fact]
    public async Task A_negated_pattern_excludes_what_it_matches()
    {
        _repo.Package("", extra: "\"workspaces\": [\"apps/*\", \"!apps/api\"]");
        ThreePackages();
        _repo.Package("apps/api", """{ "vite": "^7", "react": "^19" }""", """{ "dev": "vite" }""");

        Assert.Equal("apps/web", (await _repo.DetectAsync()).AppDirectory);
    }

    [Fact]
    public async Task Patterns_that_could_leave_the_repository_are_ignored_and_said_so()
    {
        _repo.Package("", scripts: """{ "start": "node server.js" }""", extra: "\"workspaces\": [\"../outside/*\", \"/tmp/*\", \"~/apps/*\", \"apps/*\"]")
            .Package("apps/lib", """{ "lodash": "^4" }""");
        _repo.WriteOutside("evil/package.json", """{ "scripts": { "dev": "vite" }, "dependencies": { "vite": "^6", "react": "^19" } }""");

        var profile = await _repo.DetectAsync();

        Assert.Equal("", profile.AppDirectory);
        Assert.Contains(profile.Reasons, r => r.Contains("ignored", StringComparison.Ordinal) && r.Contains("../outside/*", StringComparison.Ordinal)
            && r.Contains("/tmp/*", StringComparison.Ordinal) && r.Contains("~/apps/*", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_workspace_folder_that_is_a_link_out_of_the_repository_is_not_a_package()
    {
        _repo.Package("", extra: "\"workspaces\": [\"apps/*\"]")
            .Package("apps/lib", """{ "lodash": "^4" }""");
        _repo.WriteOutside("web/package.json", """{ "scripts": { "dev": "vite" }, "dependencies": { "vite": "^6", "react": "^19" } }""");
        _repo.Link("apps/web", Path.Join(_repo.Outside, "web"));

        var error = await Assert.ThrowsAsync<AppDetectionException>(() => _repo.DetectAsync());

        Assert.Contains("no dev, start or serve script", error.Message);
    }

    [Fact]
    public void Globs_match_one_folder_per_star_and_any_depth_for_two()
    {
        Assert.True(WorkspaceGlobs.Matches(["apps", "*"], ["apps", "web"]));
        Assert.False(WorkspaceGlobs.Matches(["apps", "*"], ["apps", "web", "x"]));
        Assert.True(WorkspaceGlobs.Matches(["packages", "**"], ["packages", "a", "b"]));
        Assert.True(WorkspaceGlobs.SegmentMatches("app-*-web", "app-one-web"));
        Assert.False(WorkspaceGlobs.SegmentMatches("app-*-web", "app-web"));
        Assert.Null(WorkspaceGlobs.Segments("../x"));
        Assert.Null(WorkspaceGlobs.Segments("a/../../x"));
        Assert.Null(WorkspaceGlobs.Segments("/abs"));
        Assert.Null(WorkspaceGlobs.Segments("~/x"));
    }
}
