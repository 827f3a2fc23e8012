using LivePreview.Sandboxes;
using LivePreview.Tests.Snapshots;

namespace LivePreview.Tests.Agents.Cli;

/// <summary>
/// The files of <see cref="HostAgentProcessHost.Workspace"/> as a sandbox's file system, straight on the host's disk
/// (the service's own one needs a mounted overlay): so the tracker sees what the real CLI wrote there.
/// </summary>
internal sealed class HostWorkspaceProvider(string root) : UnusedSandboxProvider, ISandboxFileSystem
{
    public override ISandboxFileSystem Files(string sandboxId) => this;

    private string Full(string path) => Path.Combine(root, path);

    public Task<Stream?> OpenReadAsync(string path, CancellationToken cancellationToken)
    {
        var file = new FileInfo(Full(path));
        return Task.FromResult<Stream?>(file.Exists && file.LinkTarget is null ? file.OpenRead() : null);
    }

    public async Task WriteAsync(string path, Stream content, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Full(path))!);
        await using var file = File.Create(Full(path));
        await content.CopyToAsync(file, cancellationToken);
    }

    Task<bool> ISandboxFileSystem.DeleteAsync(string path, CancellationToken cancellationToken)
    {
        var exists = File.Exists(Full(path));
        File.Delete(Full(path));
        return Task.FromResult(exists);
    }

    public Task<IReadOnlyList<SandboxFileEntry>?> ListAsync(string directory, CancellationToken cancellationToken)
    {
        var folder = new DirectoryInfo(Full(directory));
        IReadOnlyList<SandboxFileEntry>? entries = folder.Exists
            ? folder.EnumerateFileSystemInfos().Select(i => Entry(Path.Join(directory, i.Name).TrimStart('/'), i)).OrderBy(e => e.Name, StringComparer.Ordinal).ToList()
            : null;
        return Task.FromResult(entries);
    }

    public Task<SandboxFileEntry?> StatAsync(string path, CancellationToken cancellationToken)
    {
        FileSystemInfo info = Directory.Exists(Full(path)) ? new DirectoryInfo(Full(path)) : new FileInfo(Full(path));
        return Task.FromResult(info.Exists ? Entry(path, info) : null);
    }

    private static SandboxFileEntry Entry(string path, FileSystemInfo info) =>
        new(path, info.Name, info is DirectoryInfo, info is FileInfo f ? f.Length : 0, info.LastWriteTimeUtc);
}
