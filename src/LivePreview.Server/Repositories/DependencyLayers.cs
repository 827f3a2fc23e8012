namespace LivePreview.Repositories;

/// <summary>
/// Read-only lower layers of installed dependencies, keyed by what decides their content (the lock file's hash and the
/// install's settings): every sandbox whose repository has the same lock file mounts the same layer below its source, so
/// the second sandbox of a repository starts as fast as a template sandbox. The generalisation of template snapshots.
/// </summary>
public interface IDependencyLayers
{
    /// <summary>
    /// The layer for <paramref name="sourceDirectory"/> (a checkout the host made; its content is hostile), built when
    /// missing: a build sandbox over the source runs <paramref name="installCommand"/> with egress to the package registry
    /// only, then the <c>node_modules</c> folders it made are copied out (links kept as links, never followed). Concurrent
    /// callers for the same key share one build. Progress lines go to <paramref name="progress"/>.
    /// </summary>
    /// <exception cref="DependencyInstallException">The install failed or timed out; the message has its last output lines.</exception>
    Task<DependencyLayer> EnsureAsync(string sourceDirectory, AppProfile profile, IReadOnlyList<string> installCommand,
        IProgress<string>? progress, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? installEnvironment = null);

    /// <summary>The id (key) of the layer <see cref="EnsureAsync"/> would return for these inputs, without building anything.</summary>
    string KeyOf(string sourceDirectory, AppProfile profile, IReadOnlyList<string> installCommand);

    /// <summary>The folder of the finished layer <paramref name="layerId"/> (an attach after a restart: no build), or null when there is none.</summary>
    string? DirectoryOf(string layerId);
}

/// <param name="Id">The key (hex), also the layer folder's name.</param>
/// <param name="Directory">The layer's folder, to mount read-only below the source.</param>
/// <param name="Reused">True when the layer existed (no install ran).</param>
/// <param name="InstallTime">How long the install took (zero when reused).</param>
public sealed record DependencyLayer(string Id, string Directory, bool Reused, TimeSpan InstallTime);

/// <summary>An install that failed inside its build sandbox, with what it printed last.</summary>
public sealed class DependencyInstallException(string message) : Exception(message);

/// <summary>
/// The package managers other than npm (which is the host's, visible in every sandbox under /usr), pinned by
/// <c>tools/package-managers/package-lock.json</c> and bound read-only into every sandbox at <see cref="MountPoint"/>.
/// Argument-list prefixes to run each inside a sandbox.
/// </summary>
public static class PackageManagerTools
{
    public const string MountPoint = "/opt/livepreview/package-managers";

    public static IReadOnlyList<string> Npm { get; } = ["npm"];

    public static IReadOnlyList<string> Pnpm { get; } = ["node", MountPoint + "/node_modules/pnpm/bin/pnpm.cjs"];

    /// <summary>Yarn 1 (a <c>yarn.lock</c> without <c>__metadata</c>).</summary>
    public static IReadOnlyList<string> YarnClassic { get; } = ["node", MountPoint + "/node_modules/yarn/bin/yarn.js"];

    /// <summary>Yarn 2+ (a <c>yarn.lock</c> with <c>__metadata</c>, or <c>packageManager: yarn@2+</c>).</summary>
    public static IReadOnlyList<string> YarnBerry { get; } = ["node", MountPoint + "/node_modules/@yarnpkg/cli-dist/bin/yarn.js"];

    public static IReadOnlyList<string> Bun { get; } = [MountPoint + "/node_modules/@oven/bun-linux-x64/bin/bun"];
}
