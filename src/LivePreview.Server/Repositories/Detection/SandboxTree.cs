using LivePreview.Sandboxes;

namespace LivePreview.Repositories.Detection;

/// <summary>
/// A sandbox's workspace through its provider's file system (<c>provider.Files(id)</c>). The provider resolves every
/// path beneath the workspace in the kernel (RESOLVE_BENEATH), so a symlink is followed only while it stays inside the
/// workspace; one that leads out is absent here. Following inner links is what lets the dev tool be found in a pnpm
/// install (<c>node_modules/vite</c> → <c>node_modules/.pnpm/vite@…/node_modules/vite</c>); what they reach is still
/// the sandbox's own files, read bounded.
/// </summary>
internal sealed class SandboxTree(ISandboxFileSystem files) : IRepositoryTree
{
    public async Task<string?> ReadTextAsync(string relativePath, int maxBytes, CancellationToken cancellationToken)
    {
        await using var stream = await OpenRegularAsync(relativePath, maxBytes, cancellationToken);
        return stream is null ? null : await BoundedText.ReadAllAsync(stream, relativePath, maxBytes, cancellationToken);
    }

    public async Task<string?> ReadHeadAsync(string relativePath, int maxBytes, CancellationToken cancellationToken)
    {
        await using var stream = await OpenRegularAsync(relativePath, int.MaxValue, cancellationToken);
        return stream is null ? null : await BoundedText.ReadHeadAsync(stream, maxBytes, cancellationToken);
    }

    public async Task<IReadOnlyList<string>> ListDirectoriesAsync(string relativePath, CancellationToken cancellationToken)
    {
        try
        {
            var entries = await files.ListAsync(relativePath, cancellationToken);
            return entries is null ? [] : entries.Where(e => e.IsDirectory).Select(e => e.Name).Order(StringComparer.Ordinal).ToList();
        }
        catch (InvalidWorkspacePathException)
        {
            return [];
        }
    }

    public async Task<bool> FileExistsAsync(string relativePath, CancellationToken cancellationToken)
    {
        try
        {
            return await files.StatAsync(relativePath, cancellationToken) is { IsDirectory: false };
        }
        catch (InvalidWorkspacePathException)
        {
            return false;
        }
    }

    private async Task<Stream?> OpenRegularAsync(string relativePath, int maxBytes, CancellationToken cancellationToken)
    {
        try
        {
            if (await files.StatAsync(relativePath, cancellationToken) is not { IsDirectory: false } entry || entry.Size > maxBytes)
            {
                return null;
            }
            // The provider refuses what is not a regular file (a FIFO, a device) and opens without blocking.
            return await files.OpenReadAsync(relativePath, cancellationToken);
        }
        catch (InvalidWorkspacePathException)
        {
            return null;
        }
    }
}
