using LivePreview.Sandboxes;
using LivePreview.Workspaces;

namespace LivePreview.Repositories.Detection;

/// <summary>
/// Detects a repository's app from its files (package.json, lock files, workspace lists, vite.config text), never
/// running or evaluating anything of it; every guess can be overridden and says why it was made.
/// </summary>
internal sealed partial class AppDetector : IAppDetector
{
    /// <summary>Scripts that start a dev server, in the order tried.</summary>
    public static readonly string[] DevScripts = ["dev", "start", "serve"];

    public async Task<AppProfile> DetectAsync(IRepositoryTree tree, AppOverrides? overrides, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tree);
        overrides ??= new AppOverrides();
        var reasons = new List<string>();
        var root = await PackageJson.ReadAsync(tree, "", cancellationToken);
        var manager = await PackageManagerDetection.DetectAsync(tree, root, cancellationToken);
        if (overrides.PackageManager is { } requested)
        {
            manager = await PackageManagerDetection.OverrideAsync(tree, requested, manager, cancellationToken);
        }
        reasons.Add(manager.Reason);
        var app = overrides.AppDirectory is { } directory
            ? await RequestedAppAsync(tree, directory, reasons, cancellationToken)
            : await ChooseAppAsync(tree, root, reasons, cancellationToken);
        var (framework, frontend) = ChooseFramework(app, overrides.Framework, reasons);
        var script = ChooseScript(app, overrides.DevScript, reasons);
        if (framework == Frameworks.Node && script is null)
        {
            throw new AppDetectionException($"{app.Path} has no dev, start or serve script; add one, or name the script to run (dev_script).");
        }
        var (port, portReason) = overrides.Port is { } requestedPort
            ? (ValidPort(requestedPort), $"port {requestedPort}: set by the request")
            : await PortDetection.DetectAsync(tree, app.Directory, framework, script, script is null ? null : app.Scripts[script], cancellationToken);
        reasons.Add(portReason);
        return new AppProfile(framework.Name, framework.Tool, framework.Tool is { } tool ? app.Dependencies.GetValueOrDefault(tool) : null,
            manager.Manager, manager.LockFile, app.Directory, script, port, frontend, reasons)
        {
            PackageManagerVersion = manager.Version,
            YarnBerry = manager.YarnBerry,
        };
    }

    private static async Task<PackageJson> ChooseAppAsync(IRepositoryTree tree, PackageJson? root, List<string> reasons, CancellationToken cancellationToken)
    {
        if (root is null)
        {
            throw new AppDetectionException("The repository has no package.json at its root (or it is a symbolic link); " +
                "LivePreview previews Node.js web apps: add one, or name the app's folder (app_directory).");
        }
        if (root.PreviewApp is { } hint)
        {
            var hinted = await AppAtAsync(tree, hint, cancellationToken)
                ?? throw new AppDetectionException($"\"preview\": {{ \"app\": \"{hint}\" }} in package.json names no folder with a package.json; fix it or name the app's folder (app_directory).");
            reasons.Add($"app {hinted.Directory}: named by \"preview.app\" in the root package.json");
            return hinted;
        }
        if (await WorkspaceGlobs.FindAsync(tree, root, cancellationToken) is not { } workspaces)
        {
            return root;
        }
        if (workspaces.Ignored.Count > 0)
        {
            reasons.Add($"workspace patterns ignored (they could leave the repository): {string.Join(", ", workspaces.Ignored)}");
        }
        return await ChooseWorkspaceAppAsync(tree, root, workspaces, reasons, cancellationToken);
    }

    private static async Task<PackageJson> ChooseWorkspaceAppAsync(IRepositoryTree tree, PackageJson root, WorkspacePackages workspaces,
        List<string> reasons, CancellationToken cancellationToken)
    {
        PackageJson? firstWithScript = null;
        foreach (var directory in workspaces.Directories)
        {
            PackageJson? package;
            try
            {
                package = await PackageJson.ReadAsync(tree, directory, cancellationToken);
            }
            catch (AppDetectionException error)
            {
                reasons.Add($"workspace package {directory} skipped: {error.Message}");
                continue;
            }
            if (package is null || DevScripts.FirstOrDefault(package.Scripts.ContainsKey) is null)
            {
                continue;
            }
            if (Frameworks.FromDependencies(package.Dependencies) is { Framework.Frontend: true } || Frameworks.HasWebUi(package.Dependencies))
            {
                reasons.Add($"app {directory}: the first of {workspaces.Directories.Count} workspace packages ({workspaces.Source}) with a dev script and a frontend dependency");
                return package;
            }
            firstWithScript ??= package;
        }
        reasons.Add(firstWithScript is null
            ? $"app at the root: none of the {workspaces.Directories.Count} workspace packages ({workspaces.Source}) has a dev script"
            : $"app {firstWithScript.Directory}: the first of {workspaces.Directories.Count} workspace packages ({workspaces.Source}) with a dev script");
        return firstWithScript ?? root;
    }

    private static async Task<PackageJson> RequestedAppAsync(IRepositoryTree tree, string directory, List<string> reasons, CancellationToken cancellationToken)
    {
        var app = await AppAtAsync(tree, directory, cancellationToken)
            ?? throw new AppDetectionException($"app_directory '{directory}' is not a folder of the repository with a package.json; give a relative path such as 'apps/web'.");
        reasons.Add($"app {(app.Directory.Length == 0 ? "at the root" : app.Directory)}: set by the request");
        return app;
    }

    /// <summary>The package in a folder named by the repository or the request: relative, no <c>..</c>, no link, with a package.json.</summary>
    private static async Task<PackageJson?> AppAtAsync(IRepositoryTree tree, string directory, CancellationToken cancellationToken)
    {
        string normalized;
        try
        {
            normalized = directory.StartsWith('~') ? throw new InvalidWorkspacePathException("home-relative") : WorkspacePath.Normalize(directory);
        }
        catch (InvalidWorkspacePathException)
        {
            return null;
        }
        return await PackageJson.ReadAsync(tree, normalized, cancellationToken);
    }

    private static (Framework Framework, bool Frontend) ChooseFramework(PackageJson app, string? requested, List<string> reasons)
    {
        if (requested is not null)
        {
            var named = Frameworks.Named(requested.Trim().ToLowerInvariant())
                ?? throw new AppDetectionException($"framework '{requested}' is not one LivePreview knows; use one of: {Frameworks.KnownNames}.");
            reasons.Add($"framework {named.Name}: set by the request");
            return (named, named.Frontend || Frameworks.HasWebUi(app.Dependencies));
        }
        if (Frameworks.FromDependencies(app.Dependencies) is { } found)
        {
            reasons.Add($"framework {found.Framework.Name}: {found.Reason} of {app.Path}");
            return (found.Framework, true);
        }
        if (DevScripts.Any(app.Scripts.ContainsKey))
        {
            var frontend = Frameworks.HasWebUi(app.Dependencies);
            reasons.Add($"framework node: a script but no dev tool LivePreview knows in {app.Path}" + (frontend ? " (a web UI library, so a frontend)" : " (no web UI library, so no preview is expected)"));
            return (Frameworks.Node, frontend);
        }
        throw new AppDetectionException($"{app.Path} has no dev tool LivePreview knows ({Frameworks.KnownNames}) and no dev, start or serve script; " +
            "add a dev script, or name the framework and the script (framework, dev_script).");
    }

    private static string? ChooseScript(PackageJson app, string? requested, List<string> reasons)
    {
        if (requested is not null)
        {
            if (requested.StartsWith('-') || !app.Scripts.ContainsKey(requested))
            {
                throw new AppDetectionException($"dev_script '{requested}' is not a script of {app.Path}; its scripts are: {string.Join(", ", app.Scripts.Keys.Order(StringComparer.Ordinal))}.");
            }
            reasons.Add($"dev script {requested}: set by the request");
            return requested;
        }
        var script = DevScripts.FirstOrDefault(app.Scripts.ContainsKey);
        reasons.Add(script is null ? $"no dev script in {app.Path}: the dev tool is started directly" : $"dev script {script}: \"{app.Scripts[script]}\"");
        return script;
    }

    private static int ValidPort(int port) => PortDetection.IsUsable(port)
        ? port
        : throw new AppDetectionException($"port {port} cannot be used: give a port from 1 to 65535 other than {PortDetection.ProxyPort} (the sandbox's egress proxy).");
}
