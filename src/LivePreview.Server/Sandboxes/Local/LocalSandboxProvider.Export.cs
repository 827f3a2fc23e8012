namespace LivePreview.Sandboxes.Local;

/// <summary>The workspace as a host folder: the merged overlay view, copied once the sandbox's processes are dead.</summary>
internal sealed partial class LocalSandboxProvider : ISandboxWorkspaceCopy
{
    public Task<int> CopyWorkspaceAsync(string sandboxId, string targetDirectory, CancellationToken cancellationToken) =>
        CopyAsync(sandboxId, targetDirectory, (merged, ct) => WorkspaceCopy.Copy(merged, targetDirectory, ct), cancellationToken);

    public Task<int> CopyWorkspaceFoldersAsync(string sandboxId, string targetDirectory, IReadOnlyList<string> relativePaths, CancellationToken cancellationToken)
    {
        foreach (var path in relativePaths)
        {
            RelativePath.Split(path);
        }
        return CopyAsync(sandboxId, targetDirectory, (merged, ct) => WorkspaceCopy.CopyFolders(merged, relativePaths, targetDirectory, ct), cancellationToken);
    }

    private async Task<int> CopyAsync(string sandboxId, string targetDirectory, Func<string, CancellationToken, int> copy, CancellationToken cancellationToken)
    {
        Record(sandboxId);
        var layout = Layout(sandboxId);
        using var held = await LockAsync(sandboxId, cancellationToken);
        await _processes.KillAllAsync(sandboxId);
        if (!OverlayMount.IsMounted(layout.Merged))
        {
            throw new InvalidOperationException($"Sandbox '{sandboxId}' is not attached (its workspace is not mounted).");
        }
        if (Directory.Exists(targetDirectory) || File.Exists(targetDirectory))
        {
            throw new IOException($"'{targetDirectory}' exists already.");
        }
        return await Task.Run(() => copy(layout.Merged, cancellationToken), cancellationToken);
    }
}
