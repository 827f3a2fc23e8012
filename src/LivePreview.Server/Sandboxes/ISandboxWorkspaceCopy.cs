namespace LivePreview.Sandboxes;

/// <summary>Providers that can hand a sandbox's workspace to the host as an ordinary folder (snapshot builds: the installed tree).</summary>
public interface ISandboxWorkspaceCopy
{
    /// <summary>
    /// Kills every process of the sandbox (so nothing changes the tree while it is read), then copies
    /// its workspace into <paramref name="targetDirectory"/>, which must not exist yet. Symlinks are copied
    /// as symlinks, never followed; only directories, regular files and symlinks are copied; set-id bits
    /// are dropped. Returns the number of files and links copied.
    /// </summary>
    Task<int> CopyWorkspaceAsync(string sandboxId, string targetDirectory, CancellationToken cancellationToken);

    /// <summary>
    /// Like <see cref="CopyWorkspaceAsync"/>, but only the folders <paramref name="relativePaths"/> (workspace-relative,
    /// forward slashes) are copied, each to the same place under <paramref name="targetDirectory"/>. A path one of whose
    /// parts is not a real directory (missing, a file, a link) is skipped, never followed. Dependency layers copy out
    /// only the <c>node_modules</c> folders an install made.
    /// </summary>
    Task<int> CopyWorkspaceFoldersAsync(string sandboxId, string targetDirectory, IReadOnlyList<string> relativePaths, CancellationToken cancellationToken);
}
