using LivePreview.Repositories;

namespace LivePreview.Tests.Repositories;

public sealed class AppDetectorTests : IDisposable
{
    private readonly RepositoryFixture _repo = new();

    public void Dispose() => _repo.Dispose();

    [Theory]
    [InlineData("""{ "next": "^15.1.0", "react": "^19" }""", "next", "next", "^15.1.0", 3000)]
    [InlineData("""{ "@sveltejs/kit": "^2", "vite": "^6.0.0", "svelte": "^5" }""", "sveltekit", "vite", "^6.0.0", 5173)]
    [InlineData("""{ "nuxt": "^3.14", "vue": "^3" }""", "nuxt", "nuxt", "^3.14", 3000)]
    [InlineData("""{ "astro": "^5.0.0" }""", "astro", "astro", "^5.0.0", 4321)]
    [InlineData("""{ "@angular/core": "^19", "@angular/cli": "^19.0.2" }""", "angular", "@angular/cli", "^19.0.2", 4200)]
    [InlineData("""{ "@remix-run/dev": "^2", "vite": "^5.4.0", "react": "^18" }""", "react-router", "vite", "^5.4.0", 5173)]
    [InlineData("""{ "@react-router/dev": "^7", "vite": "^6", "react": "^19" }""", "react-router", "vite", "^6", 5173)]
    [InlineData("""{ "vite": "^8.0.0", "react": "^19" }""", "react-vite", "vite", "^8.0.0", 5173)]
    [InlineData("""{ "vite": "^7", "vue": "^3" }""", "vue-vite", "vite", "^7", 5173)]
    [InlineData("""{ "vite": "^6", "svelte": "^5" }""", "svelte-vite", "vite", "^6", 5173)]
    [InlineData("""{ "vite": "^6", "solid-js": "^1.9" }""", "solid-vite", "vite", "^6", 5173)]
    [InlineData("""{ "vite": "^6", "preact": "^10" }""", "preact-vite", "vite", "^6", 5173)]
    [InlineData("""{ "vite": "^6", "lit": "^3" }""", "lit-vite", "vite", "^6", 5173)]
    [InlineData("""{ "vite": "^5.2.0" }""", "vite", "vite", "^5.2.0", 5173)]
    public async Task The_framework_dev_tool_and_default_port_come_from_the_dependencies(string dependencies, string framework, string tool, string version, int port)
    {
        _repo.Package("", dependencies, """{ "dev": "start-the-tool" }""");

        var profile = await _repo.DetectAsync();

        Assert.Equal((framework, tool, version, port, true), (profile.Framework, profile.DevTool, profile.DevToolVersion, profile.Port, profile.Frontend));
        Assert.Contains(profile.Reasons, r => r.StartsWith($"framework {framework}:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Dev_dependencies_count_as_dependencies()
    {
        _repo.Write("package.json", """{ "scripts": { "dev": "vite" }, "dependencies": { "vue": "^3" }, "devDependencies": { "vite": "^6.1.0" } }""");

        var profile = await _repo.DetectAsync();

        Assert.Equal(("vue-vite", "^6.1.0"), (profile.Framework, profile.DevToolVersion));
    }

    [Fact]
    public async Task A_package_with_a_script_and_no_known_tool_is_a_node_app_and_a_frontend_only_with_a_web_ui_library()
    {
        _repo.Package("", """{ "express": "^4" }""", """{ "start": "node server.js" }""");
        var backend = await _repo.DetectAsync();
        _repo.Package("", """{ "react-scripts": "5.0.1", "react": "^18" }""", """{ "start": "react-scripts start" }""");
        var frontend = await _repo.DetectAsync();

        Assert.Equal(("node", null, "start", 3000, false), (backend.Framework, backend.DevTool, backend.DevScript, backend.Port, backend.Frontend));
        Assert.Equal(("node", true), (frontend.Framework, frontend.Frontend));
    }

    [Fact]
    public async Task Angular_needs_its_cli_as_well_as_its_core()
    {
        _repo.Package("", """{ "@angular/core": "^19" }""", """{ "start": "node serve.js" }""");

        var profile = await _repo.DetectAsync();

        Assert.Equal(("node", true), (profile.Framework, profile.Frontend));
    }

    [Fact]
    public async Task Next_wins_over_a_vite_installed_for_its_tests()
    {
        _repo.Package("", """{ "next": "16.0.0", "vite": "^6", "react": "^19" }""", """{ "dev": "next dev" }""");

        Assert.Equal("next", (await _repo.DetectAsync()).Framework);
    }

    [Fact]
    public async Task A_package_with_no_known_tool_and_no_script_is_refused_with_what_to_do()
    {
        _repo.Package("", """{ "lodash": "^4" }""", """{ "test": "node test.js" }""");

        var error = await Assert.ThrowsAsync<AppDetectionException>(() => _repo.DetectAsync());

        Assert.Contains("add a dev script", error.Message);
    }

    [Fact]
    public async Task A_repository_without_a_package_json_is_refused_with_what_to_do()
    {
        _repo.Write("README.md", "# not a node app\n");

        var error = await Assert.ThrowsAsync<AppDetectionException>(() => _repo.DetectAsync());

        Assert.Contains("no package.json", error.Message);
    }

    [Theory]
    [InlineData("""{ "dev": "vite", "start": "vite preview", "serve": "x" }""", "dev")]
    [InlineData("""{ "start": "vite", "serve": "x" }""", "start")]
    [InlineData("""{ "serve": "vite", "build": "vite build" }""", "serve")]
    public async Task The_dev_script_is_dev_else_start_else_serve(string scripts, string expected)
    {
        _repo.Package("", """{ "vite": "^6" }""", scripts);

        Assert.Equal(expected, (await _repo.DetectAsync()).DevScript);
    }

    [Fact]
    public async Task A_known_tool_without_a_script_is_started_directly()
    {
        _repo.Package("", """{ "vite": "^6" }""", """{ "build": "vite build" }""");

        var profile = await _repo.DetectAsync();

        Assert.Equal(("vite", null), (profile.Framework, profile.DevScript));
    }
}
