namespace LivePreview.Repositories;

/// <summary>The installed workspace as the sandbox sees it, read on the host: the checkout over the dependency layer (both host-made folders, read without following links).</summary>
internal sealed class LayeredTree(IRepositoryTree top, IRepositoryTree below) : IRepositoryTree
{
    public async Task<string?> ReadTextAsync(string relativePath, int maxBytes, CancellationToken cancellationToken) =>
        await top.ReadTextAsync(relativePath, maxBytes, cancellationToken) ?? await below.ReadTextAsync(relativePath, maxBytes, cancellationToken);

    public async Task<IReadOnlyList<string>> ListDirectoriesAsync(string relativePath, CancellationToken cancellationToken) =>
        [.. (await top.ListDirectoriesAsync(relativePath, cancellationToken)).Union(await below.ListDirectoriesAsync(relativePath, cancellationToken)).Order(StringComparer.Ordinal)];

    public async Task<bool> FileExistsAsync(string relativePath, CancellationToken cancellationToken) =>
        await top.FileExistsAsync(relativePath, cancellationToken) || await below.FileExistsAsync(relativePath, cancellationToken);
}
