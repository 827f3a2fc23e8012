using System.Buffers.Binary;
using LivePreview.Sandboxes.Local;

namespace LivePreview.Repositories.Detection;

/// <summary>
/// A repository checkout in a host folder, read without ever following a link: each part of a path is looked at with
/// lstat first (a <c>package.json</c> that links to <c>/etc/shadow</c> is "not a regular file"). The checkout is the
/// host's own clone and no process writes to it (sandboxes write to their upper layer), so nothing changes between the
/// look and the read.
/// </summary>
public sealed class DirectoryTree(string root) : IRepositoryTree
{
    public async Task<string?> ReadTextAsync(string relativePath, int maxBytes, CancellationToken cancellationToken)
    {
        if (Resolve(relativePath) is not { } path || !IsRegularFile(path))
        {
            return null;
        }
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.Asynchronous);
        var buffer = new byte[Math.Min((long)maxBytes + 1, Math.Max(stream.Length + 1, 1))];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken)) > 0)
        {
            read += n;
        }
        return read > maxBytes ? null : System.Text.Encoding.UTF8.GetString(buffer, 0, read);
    }

    public Task<IReadOnlyList<string>> ListDirectoriesAsync(string relativePath, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> names = Resolve(relativePath) is { } path && IsDirectory(path)
            ? new DirectoryInfo(path).EnumerateDirectories().Where(d => d.LinkTarget is null).Select(d => d.Name).Order(StringComparer.Ordinal).ToList()
            : [];
        return Task.FromResult(names);
    }

    public Task<bool> FileExistsAsync(string relativePath, CancellationToken cancellationToken) =>
        Task.FromResult(Resolve(relativePath) is { } path && IsRegularFile(path));

    /// <summary>The host path, when the path is relative, has no "..", and every folder on the way is a real folder.</summary>
    private string? Resolve(string relativePath)
    {
        if (relativePath.StartsWith('/') || relativePath.Contains('\\') || relativePath.Any(char.IsControl))
        {
            return null;
        }
        var parts = relativePath.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray();
        if (parts.Contains(".."))
        {
            return null;
        }
        var path = root;
        for (var i = 0; i < parts.Length; i++)
        {
            path = Path.Join(path, parts[i]);
            if (i < parts.Length - 1 && !IsDirectory(path))
            {
                return null;
            }
        }
        return path;
    }

    private static bool IsDirectory(string path) => TypeOf(path) == 0x4000;

    /// <summary>Regular files only: a fifo would block the read, a device would read forever.</summary>
    private static bool IsRegularFile(string path) => TypeOf(path) == 0x8000;

    /// <summary>The file type bits of lstat (statx with AT_SYMLINK_NOFOLLOW); 0 when nothing is there.</summary>
    private static int TypeOf(string path)
    {
        var buffer = new byte[256];
        return LibC.Statx(-100 /* AT_FDCWD */, path, LibC.AT_SYMLINK_NOFOLLOW, 0x1 /* STATX_TYPE */, buffer) == 0
            ? BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(28)) & 0xF000
            : 0;
    }
}
