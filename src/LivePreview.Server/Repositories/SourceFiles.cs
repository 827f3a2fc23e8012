using System.Buffers.Binary;
using LivePreview.Sandboxes.Local;

namespace LivePreview.Repositories;

/// <summary>
/// Reads of a host checkout (hostile content) that never follow a link: every part of a path is lstat-ed first. The
/// checkout is the host's own clone and nothing writes to it afterwards (sandboxes write to their upper layer), so
/// nothing can change between the look and the read.
/// </summary>
internal static class SourceFiles
{
    private const int TypeMask = 0xF000, Directory = 0x4000, Regular = 0x8000;

    /// <summary>Folders never searched for package.json files: git's own, and installed packages.</summary>
    private static readonly HashSet<string> Skipped = [".git", "node_modules"];

    /// <summary>The bytes of a regular file at <paramref name="relativePath"/>, null when it is not one or is larger than <paramref name="maxBytes"/>.</summary>
    public static byte[]? ReadBytes(string root, string relativePath, long maxBytes)
    {
        var parts = relativePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var path = root;
        for (var i = 0; i < parts.Length; i++)
        {
            path = Path.Join(path, parts[i]);
            if (parts[i] is "." or ".." || TypeOf(path) != (i == parts.Length - 1 ? Regular : Directory))
            {
                return null;
            }
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (stream.Length > maxBytes)
        {
            return null;
        }
        var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.Length > maxBytes ? null : buffer.ToArray();
    }

    /// <summary>
    /// Workspace-relative folders (forward slashes, "" for the root) holding a package.json, at most
    /// <paramref name="maxDepth"/> deep and <paramref name="maxFolders"/> looked at; links are never entered.
    /// </summary>
    public static IReadOnlyList<string> PackageFolders(string root, int maxDepth = 6, int maxFolders = 5000)
    {
        var found = new List<string>();
        var queue = new Queue<(string Relative, int Depth)>([("", 0)]);
        var seen = 0;
        while (queue.TryDequeue(out var folder) && seen++ < maxFolders)
        {
            var full = folder.Relative.Length == 0 ? root : Path.Join(root, folder.Relative);
            if (TypeOf(Path.Join(full, "package.json")) == Regular)
            {
                found.Add(folder.Relative);
            }
            if (folder.Depth >= maxDepth)
            {
                continue;
            }
            foreach (var child in new DirectoryInfo(full).EnumerateDirectories().Select(d => d.Name).Order(StringComparer.Ordinal))
            {
                if (!Skipped.Contains(child) && TypeOf(Path.Join(full, child)) == Directory)
                {
                    queue.Enqueue((folder.Relative.Length == 0 ? child : $"{folder.Relative}/{child}", folder.Depth + 1));
                }
            }
        }
        return found;
    }

    /// <summary>Bytes of the regular files under a host folder the service made (links counted as nothing, never followed).</summary>
    public static long SizeOf(string folder) =>
        new DirectoryInfo(folder).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true })
            .Sum(f => f.Length);

    private static int TypeOf(string path)
    {
        var buffer = new byte[256];
        return LibC.Statx(-100 /* AT_FDCWD */, path, LibC.AT_SYMLINK_NOFOLLOW, 0x1 /* STATX_TYPE */, buffer) == 0
            ? BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(28)) & TypeMask
            : 0;
    }
}
