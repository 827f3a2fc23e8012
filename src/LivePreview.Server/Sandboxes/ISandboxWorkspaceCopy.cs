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
}
