namespace LivePreview.Repositories.Detection;

/// <summary>
/// Dev-server plans: the repository's own installed dev tool run by node with the flags that make it listen on all
/// interfaces of the sandbox on the chosen port (and serve under the base path in path mode), never an edit of the
/// repository's config; a generic package runs its script through its package manager with PORT and HOST set.
/// </summary>
internal sealed partial class AppDetector
{
    public async Task<DevServerPlan> PlanDevServerAsync(AppProfile profile, IRepositoryTree installed, string? basePath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(installed);
        var framework = Frameworks.Named(profile.Framework)
            ?? throw new AppDetectionException($"framework '{profile.Framework}' is not one LivePreview knows; use one of: {Frameworks.KnownNames}.");
        var port = profile.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var script = profile.DevScript is null ? null : await ScriptTextAsync(installed, profile, cancellationToken);
        var environment = new Dictionary<string, string> { ["PORT"] = port, ["HOST"] = "0.0.0.0", ["BROWSER"] = "none" };
        if (framework == Frameworks.Node)
        {
            return ScriptPlan(profile, environment);
        }
        if (framework == Frameworks.Next && basePath is not null)
        {
            throw new AppDetectionException("Next.js cannot serve under a path prefix without an edit of next.config (basePath); use host mode previews.");
        }
        var (package, binNames) = framework == Frameworks.Angular ? ("@angular/cli", new[] { "ng" }) : (framework.Tool!, new[] { framework.Tool!.Split('/')[^1] });
        var tool = await InstalledTools.FindAsync(installed, profile.AppDirectory, package, binNames, cancellationToken);
        if (tool is null && framework == Frameworks.Nuxt)
        {
            tool = await InstalledTools.FindAsync(installed, profile.AppDirectory, "nuxi", ["nuxi"], cancellationToken)
                ?? await InstalledTools.FindAsync(installed, profile.AppDirectory, "nuxt", ["nuxi", "nuxt"], cancellationToken);
        }
        if (tool is null)
        {
            throw new AppDetectionException($"{package} is not installed in node_modules of {(profile.AppDirectory.Length == 0 ? "the workspace" : profile.AppDirectory)} " +
                "or above it; check that the install succeeded, or name a script to run instead (framework node, dev_script).");
        }
        List<string> arguments = framework.ViteBased ? ViteArguments(framework, script, port, basePath)
            : framework == Frameworks.Next ? NextArguments(script, port)
            : framework == Frameworks.Astro ? ["dev", "--host", "0.0.0.0", "--port", port, .. (string[])(basePath is null ? [] : ["--base", basePath])]
            : framework == Frameworks.Nuxt ? ["dev", "--host", "0.0.0.0", "--port", port]
            : ["serve", "--host", "0.0.0.0", "--port", port, "--disable-host-check", .. (string[])(basePath is null ? [] : ["--serve-path", basePath])];
        if (framework == Frameworks.Nuxt && basePath is not null)
        {
            environment["NUXT_APP_BASE_URL"] = basePath;
        }
        return new DevServerPlan(["node", tool.Bin, .. arguments], WorkingDirectory(profile), environment, profile.Port) { DevToolVersion = tool.Version };
    }

    private static List<string> ViteArguments(Framework framework, string? script, string port, string? basePath)
    {
        var kept = DevScriptArguments.Kept(script, "vite").ToList();
        if (framework == Frameworks.SvelteKit && kept.FirstOrDefault() is not ("dev" or "serve"))
        {
            kept.Insert(0, "dev");
        }
        return [.. kept, "--host", "0.0.0.0", "--port", port, "--strictPort", .. (string[])(basePath is null ? [] : ["--base", basePath])];
    }

    private static List<string> NextArguments(string? script, string port) =>
        ["dev", "--hostname", "0.0.0.0", "--port", port, .. new[] { "--turbopack", "--turbo", "--webpack" }.Where(f => DevScriptArguments.HasFlag(script, f))];

    /// <summary>A script LivePreview has no flags for runs as the package manager runs it: an argument list, no shell of ours.</summary>
    private static DevServerPlan ScriptPlan(AppProfile profile, Dictionary<string, string> environment)
    {
        var script = profile.DevScript ?? throw new AppDetectionException("A node app needs a dev script to start; name one (dev_script).");
        IReadOnlyList<string> manager = profile.PackageManager switch
        {
            PackageManager.Pnpm => PackageManagerTools.Pnpm,
            PackageManager.Yarn => profile.YarnBerry ? PackageManagerTools.YarnBerry : PackageManagerTools.YarnClassic,
            PackageManager.Bun => PackageManagerTools.Bun,
            _ => PackageManagerTools.Npm,
        };
        return new DevServerPlan([.. manager, "run", script], WorkingDirectory(profile), environment, profile.Port);
    }

    private static async Task<string?> ScriptTextAsync(IRepositoryTree installed, AppProfile profile, CancellationToken cancellationToken)
    {
        var package = await PackageJson.ReadAsync(installed, profile.AppDirectory, cancellationToken);
        return package?.Scripts.GetValueOrDefault(profile.DevScript!);
    }

    private static string? WorkingDirectory(AppProfile profile) => profile.AppDirectory.Length == 0 ? null : profile.AppDirectory;
}
