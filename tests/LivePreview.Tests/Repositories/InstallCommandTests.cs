using LivePreview.Repositories;
using LivePreview.Repositories.Detection;

namespace LivePreview.Tests.Repositories;

public sealed class InstallCommandTests
{
    private const string Pm = "/opt/livepreview/package-managers/node_modules";

    private static AppProfile Profile(PackageManager manager, string? lockFile, bool berry = false) =>
        new("react-vite", "vite", "^6", manager, lockFile, "", "dev", 5173, true, []) { YarnBerry = berry };

    public static TheoryData<PackageManager, string?, bool, string[]> Commands => new()
    {
        { PackageManager.Npm, "package-lock.json", false, ["npm", "ci", "--no-audit", "--no-fund", "--include=dev", "--ignore-scripts"] },
        { PackageManager.Npm, null, false, ["npm", "install", "--no-audit", "--no-fund", "--include=dev", "--ignore-scripts"] },
        { PackageManager.Pnpm, "pnpm-lock.yaml", false, ["node", $"{Pm}/pnpm/bin/pnpm.cjs", "install", "--frozen-lockfile", "--ignore-scripts", "--config.manage-package-manager-versions=false"] },
        { PackageManager.Pnpm, null, false, ["node", $"{Pm}/pnpm/bin/pnpm.cjs", "install", "--no-frozen-lockfile", "--ignore-scripts", "--config.manage-package-manager-versions=false"] },
        { PackageManager.Yarn, "yarn.lock", false, ["node", $"{Pm}/yarn/bin/yarn.js", "install", "--frozen-lockfile", "--ignore-scripts", "--non-interactive"] },
        { PackageManager.Yarn, "yarn.lock", true, ["node", $"{Pm}/@yarnpkg/cli-dist/bin/yarn.js", "install", "--immutable"] },
        { PackageManager.Bun, "bun.lock", false, [$"{Pm}/@oven/bun-linux-x64/bin/bun", "install", "--frozen-lockfile", "--ignore-scripts"] },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_install_keeps_the_lock_file_as_it_is_and_runs_no_scripts(PackageManager manager, string? lockFile, bool berry, string[] command) =>
        Assert.Equal(command, new AppDetector().InstallCommand(Profile(manager, lockFile, berry)));

    [Fact]
    public void Yarn_berry_is_told_through_its_environment_to_run_no_scripts_and_make_node_modules()
    {
        IAppDetector detector = new AppDetector();

        var environment = detector.InstallEnvironment(Profile(PackageManager.Yarn, "yarn.lock", berry: true));

        Assert.Equal(("false", "node-modules", "true"), (environment["YARN_ENABLE_SCRIPTS"], environment["YARN_NODE_LINKER"], environment["YARN_ENABLE_IMMUTABLE_INSTALLS"]));
        Assert.Empty(detector.InstallEnvironment(Profile(PackageManager.Yarn, "yarn.lock")));
        Assert.Empty(detector.InstallEnvironment(Profile(PackageManager.Npm, null)));
    }
}
