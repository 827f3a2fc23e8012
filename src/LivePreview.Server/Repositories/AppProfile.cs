namespace LivePreview.Repositories;

/// <summary>The package manager a repository uses, told by its lock file (or its <c>packageManager</c> field).</summary>
public enum PackageManager { Npm, Pnpm, Yarn, Bun }

/// <summary>
/// What LivePreview found out about the web app in a repository: stored on the sandbox, shown to the user, and every
/// guess can be overridden in the create request (<see cref="AppOverrides"/>).
/// </summary>
/// <param name="Framework">
/// Lower-case name of what the app is built with: <c>react-vite</c>, <c>vue-vite</c>, <c>svelte-vite</c>, <c>solid-vite</c>,
/// <c>preact-vite</c>, <c>lit-vite</c>, <c>vite</c> (vanilla or unknown plugins), <c>sveltekit</c>, <c>next</c>, …; <c>node</c> for a
/// package with a dev script but no frontend tool we know; <c>none</c> when nothing runnable was found.
/// </param>
/// <param name="DevTool">The dev server program the repository installs (<c>vite</c>, <c>next</c>), null when only a script is known.</param>
/// <param name="DevToolVersion">Its version as declared in package.json (a range such as <c>^5.4.0</c>) or, once installed, the exact one.</param>
/// <param name="LockFile">Workspace-relative path of the lock file that keys the dependency layer; null when the repository has none.</param>
/// <param name="AppDirectory">Workspace-relative folder of the app, forward slashes, <c>""</c> for the root (a monorepo: <c>apps/web</c>).</param>
/// <param name="DevScript">The package.json script that starts the dev server (<c>dev</c>), null when there is none.</param>
/// <param name="Port">The port the dev server listens on inside the sandbox.</param>
/// <param name="Frontend">True for a web frontend (it gets a preview and PREVIEW_READY); false for a backend-only or library package.</param>
/// <param name="Reasons">How each guess was made, one short sentence each, shown to the user ("pnpm: pnpm-lock.yaml").</param>
public sealed record AppProfile(
    string Framework,
    string? DevTool,
    string? DevToolVersion,
    PackageManager PackageManager,
    string? LockFile,
    string AppDirectory,
    string? DevScript,
    int Port,
    bool Frontend,
    IReadOnlyList<string> Reasons)
{
    /// <summary>The version the <c>packageManager</c> field of the root package.json asks for (<c>9.12.0</c>), null without one.</summary>
    public string? PackageManagerVersion { get; init; }

    /// <summary>Yarn 2+ rather than Yarn 1 (told by <c>packageManager</c>, or a <c>yarn.lock</c> with <c>__metadata</c>).</summary>
    public bool YarnBerry { get; init; }
}

/// <summary>What a create request may say instead of the detected value (null: keep the guess).</summary>
public sealed record AppOverrides(
    string? Framework = null,
    PackageManager? PackageManager = null,
    string? AppDirectory = null,
    string? DevScript = null,
    int? Port = null);

/// <summary>How the dev server of a profile is started inside the sandbox: no shell, an argument list.</summary>
/// <param name="Command">Program and arguments (the repository's own installed dev tool, with the proxy-ready settings).</param>
/// <param name="WorkingDirectory">Workspace-relative working directory (the app's folder), null for the root.</param>
/// <param name="Environment">Extra environment variables (PORT, HOST, …).</param>
/// <param name="Port">The port it will listen on.</param>
public sealed record DevServerPlan(
    IReadOnlyList<string> Command,
    string? WorkingDirectory,
    IReadOnlyDictionary<string, string> Environment,
    int Port)
{
    /// <summary>The exact version of the dev tool found installed (its package.json), null when the plan runs a script.</summary>
    public string? DevToolVersion { get; init; }
}

/// <summary>
/// A read-only view of a repository's files (a checkout on the host, or a sandbox's workspace). Its content is hostile:
/// implementations never follow a symbolic link, never leave the tree, and bound every read.
/// </summary>
public interface IRepositoryTree
{
    /// <summary>The file's text, or null when it does not exist, is not a regular file or is larger than <paramref name="maxBytes"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not UTF-8 text (the trees of <c>Repositories/Detection</c>).</exception>
    Task<string?> ReadTextAsync(string relativePath, int maxBytes, CancellationToken cancellationToken);

    /// <summary>Names of the sub-folders (not links) of a folder, empty when it does not exist.</summary>
    Task<IReadOnlyList<string>> ListDirectoriesAsync(string relativePath, CancellationToken cancellationToken);

    /// <summary>True when a regular file (not a link) is there.</summary>
    Task<bool> FileExistsAsync(string relativePath, CancellationToken cancellationToken);

    /// <summary>
    /// The first <paramref name="maxBytes"/> bytes of a regular file as text (a lock file's header), null when it does not
    /// exist. Trees that cannot read a part of a file fall back to the whole one, null when larger.
    /// </summary>
    Task<string?> ReadHeadAsync(string relativePath, int maxBytes, CancellationToken cancellationToken) =>
        ReadTextAsync(relativePath, maxBytes, cancellationToken);
}

/// <summary>Finds out what a repository's app is and how to install and start it.</summary>
public interface IAppDetector
{
    /// <summary>Detects the app in <paramref name="tree"/> (a fresh checkout, nothing installed), then applies <paramref name="overrides"/>.</summary>
    /// <exception cref="AppDetectionException">The repository holds nothing that can be installed and started, or an override is invalid.</exception>
    Task<AppProfile> DetectAsync(IRepositoryTree tree, AppOverrides? overrides, CancellationToken cancellationToken);

    /// <summary>The install command (argument list, run at the workspace root inside the sandbox with egress to the registry only).</summary>
    IReadOnlyList<string> InstallCommand(AppProfile profile);

    /// <summary>Environment variables the install command needs (Yarn 2+ is told to run no scripts and to make node_modules).</summary>
    IReadOnlyDictionary<string, string> InstallEnvironment(AppProfile profile) => new Dictionary<string, string>();

    /// <summary>
    /// The dev-server command for <paramref name="profile"/>, resolved against the installed workspace (<paramref name="installed"/>:
    /// which dev tool and version are really in node_modules), with the settings that make it work behind the preview proxy
    /// without editing the repository's config; <paramref name="basePath"/> is the path prefix in path mode (null in host mode).
    /// </summary>
    Task<DevServerPlan> PlanDevServerAsync(AppProfile profile, IRepositoryTree installed, string? basePath, CancellationToken cancellationToken);
}

/// <summary>A repository that cannot be previewed as it is, with what to do about it (a 422 problem).</summary>
public sealed class AppDetectionException(string message) : Exception(message);
