namespace LivePreview.Repositories.Detection;

/// <summary>
/// Install commands: the lock file is honoured as it is (frozen/immutable/ci) and no install script runs — the
/// dependency layer is shared by every sandbox with the same lock file, so nothing one repository's scripts do may end
/// up in it (docs/SECURITY.md).
/// </summary>
internal sealed partial class AppDetector
{
    public IReadOnlyList<string> InstallCommand(AppProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var locked = profile.LockFile is not null;
        return profile.PackageManager switch
        {
            PackageManager.Npm => [.. PackageManagerTools.Npm, locked ? "ci" : "install", "--no-audit", "--no-fund", "--include=dev", "--ignore-scripts"],
            // The pinned pnpm must not download the version a packageManager field asks for (pnpm 9.7+ does by default).
            PackageManager.Pnpm => [.. PackageManagerTools.Pnpm, "install", locked ? "--frozen-lockfile" : "--no-frozen-lockfile", "--ignore-scripts",
                "--config.manage-package-manager-versions=false"],
            PackageManager.Yarn when profile.YarnBerry => [.. PackageManagerTools.YarnBerry, "install", .. (string[])(locked ? ["--immutable"] : [])],
            PackageManager.Yarn => [.. PackageManagerTools.YarnClassic, "install", .. (string[])(locked ? ["--frozen-lockfile"] : []), "--ignore-scripts", "--non-interactive"],
            PackageManager.Bun => [.. PackageManagerTools.Bun, "install", .. (string[])(locked ? ["--frozen-lockfile"] : []), "--ignore-scripts"],
            _ => throw new ArgumentOutOfRangeException(nameof(profile), profile.PackageManager, "Unknown package manager."),
        };
    }

    /// <summary>
    /// Yarn 2+ takes no flag for scripts, and its default linker (Plug'n'Play) makes no node_modules for the layer to
    /// keep: both are set through its environment, which wins over the repository's .yarnrc.yml without editing it.
    /// </summary>
    public IReadOnlyDictionary<string, string> InstallEnvironment(AppProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (profile is not { PackageManager: PackageManager.Yarn, YarnBerry: true })
        {
            return new Dictionary<string, string>();
        }
        return new Dictionary<string, string>
        {
            ["YARN_ENABLE_SCRIPTS"] = "false",
            ["YARN_NODE_LINKER"] = "node-modules",
            ["YARN_ENABLE_TELEMETRY"] = "false",
            ["YARN_ENABLE_IMMUTABLE_INSTALLS"] = profile.LockFile is null ? "false" : "true",
        };
    }
}
