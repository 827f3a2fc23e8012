namespace LivePreview.Sandboxes.Local;

/// <summary>The workspace as a host folder: the merged overlay view, copied once the sandbox's processes are dead.</summary>
internal sealed partial class LocalSandboxProvider : ISandboxWorkspaceCopy
{
    public async Task<int> CopyWorkspaceAsync(string sandboxId, string targetDirectory, CancellationToken cancellationToken)
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
        return await Task.Run(() => WorkspaceCopy.Copy(layout.Merged, targetDirectory, cancellationToken), cancellationToken);
    }
}
