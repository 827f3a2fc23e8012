using LivePreview.Repositories;

namespace LivePreview.Tests.Repositories;

public sealed class AppDetectorPortAndOverrideTests : IDisposable
{
    private readonly RepositoryFixture _repo = new();

    public void Dispose() => _repo.Dispose();

    [Theory]
    [InlineData("vite --port 4000", 4000)]
    [InlineData("vite --port=4001 --host", 4001)]
    [InlineData("next dev -p 3001", 3001)]
    [InlineData("PORT=8080 node server.js", 8080)]
    [InlineData("vite --port 3128", 5173)]
    [InlineData("tsc -p tsconfig.json && vite", 5173)]
    public async Task The_port_comes_from_the_dev_script(string script, int port)
    {
        _repo.Package("", """{ "vite": "^6" }""", $$"""{ "dev": "{{script}}" }""");

        Assert.Equal(port, (await _repo.DetectAsync()).Port);
    }

    [Fact]
    public async Task Else_from_server_port_in_the_vite_config_not_from_hmr_or_preview()
    {
        _repo.Package("", """{ "vite": "^6", "react": "^19" }""", """{ "dev": "vite" }""").Write("vite.config.ts", """
            import { defineConfig } from 'vite'
            // server: { port: 1111 } was the old one
            export default defineConfig({
              preview: { port: 4173 },
              server: { hmr: { port: 24678 }, /* port: 2222 */ host: true, port: 5000 },
            })
            """);

        var profile = await _repo.DetectAsync();

        Assert.Equal(5000, profile.Port);
        Assert.Contains("port 5000: server.port in vite.config.ts", profile.Reasons);
    }

    [Fact]
    public async Task A_vite_config_with_only_a_preview_port_leaves_the_default()
    {
        _repo.Package("", """{ "vite": "^6" }""", """{ "dev": "vite" }""")
            .Write("vite.config.mjs", "export default { preview: { port: 4173 }, server: { open: true } }\n");

        Assert.Equal(5173, (await _repo.DetectAsync()).Port);
    }

    [Fact]
    public async Task A_hostile_vite_config_of_unclosed_comments_is_scanned_in_linear_time()
    {
        _repo.Package("", """{ "vite": "^6" }""", """{ "dev": "vite" }""")
            .Write("vite.config.js", string.Concat(Enumerable.Repeat("/*", 120_000)));

        Assert.Equal(5173, (await _repo.DetectAsync()).Port);
    }

    [Fact]
    public async Task Overrides_replace_each_guess()
    {
        _repo.Package("", """{ "vite": "^6", "react": "^19" }""", """{ "dev": "vite", "start": "vite --port 4100" }""")
            .Package("apps/site", """{ "vite": "^6", "vue": "^3" }""", """{ "dev": "vite", "start": "vite --port 4100" }""");

        var profile = await _repo.DetectAsync(new AppOverrides(Framework: "svelte-vite", PackageManager: PackageManager.Bun, AppDirectory: "./apps/site/", DevScript: "start", Port: 4321));

        Assert.Equal(("svelte-vite", PackageManager.Bun, "apps/site", "start", 4321),
            (profile.Framework, profile.PackageManager, profile.AppDirectory, profile.DevScript, profile.Port));
        Assert.Equal(5, profile.Reasons.Count(r => r.Contains("set by the request", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task An_overridden_script_brings_its_own_port()
    {
        _repo.Package("", """{ "vite": "^6" }""", """{ "dev": "vite", "start": "vite --port 4100" }""");

        Assert.Equal(4100, (await _repo.DetectAsync(new AppOverrides(DevScript: "start"))).Port);
    }

    [Fact]
    public async Task An_unknown_framework_is_refused_with_the_known_ones()
    {
        _repo.Package("", """{ "vite": "^6" }""", """{ "dev": "vite" }""");

        var error = await Assert.ThrowsAsync<AppDetectionException>(() => _repo.DetectAsync(new AppOverrides(Framework: "ember")));

        Assert.Contains("react-vite", error.Message);
        Assert.Contains("sveltekit", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65536)]
    [InlineData(3128)]
    [InlineData(-1)]
    public async Task A_port_out_of_range_or_the_proxys_is_refused(int port)
    {
        _repo.Package("", """{ "vite": "^6" }""", """{ "dev": "vite" }""");

        var error = await Assert.ThrowsAsync<AppDetectionException>(() => _repo.DetectAsync(new AppOverrides(Port: port)));

        Assert.Contains("1 to 65535", error.Message);
    }

    [Theory]
    [InlineData("nope")]
    [InlineData("--help")]
    public async Task A_script_that_is_not_in_package_json_is_refused(string script)
    {
        _repo.Package("", """{ "vite": "^6" }""", """{ "dev": "vite", "--help": "x" }""");

        var error = await Assert.ThrowsAsync<AppDetectionException>(() => _repo.DetectAsync(new AppOverrides(DevScript: script)));

        Assert.Contains("is not a script", error.Message);
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("/etc")]
    [InlineData("~/app")]
    [InlineData("apps/missing")]
    [InlineData("apps/no-package")]
    [InlineData("apps/linked")]
    [InlineData("apps\\site")]
    public async Task An_app_directory_that_is_not_a_package_folder_of_the_repository_is_refused(string directory)
    {
        _repo.Package("", """{ "vite": "^6" }""", """{ "dev": "vite" }""").Write("apps/no-package/index.js", "");
        _repo.WriteOutside("package.json", """{ "scripts": { "dev": "vite" }, "dependencies": { "vite": "^6" } }""");
        _repo.Link("apps/linked", _repo.Outside);

        var error = await Assert.ThrowsAsync<AppDetectionException>(() => _repo.DetectAsync(new AppOverrides(AppDirectory: directory)));

        Assert.Contains("app_directory", error.Message);
    }
}
