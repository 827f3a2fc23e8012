using System.Runtime.InteropServices;

namespace LivePreview.Git;

/// <summary>Paths with every symlink resolved (realpath(3)), so a link outside a folder cannot stand for a place inside it.</summary>
internal static class RealPath
{
    /// <summary>The real path of the longest existing prefix of <paramref name="fullPath"/>, with the rest appended unchanged.</summary>
    public static string OfExistingPrefix(string fullPath)
    {
        var rest = new Stack<string>();
        for (var current = Path.GetFullPath(fullPath); ; current = Path.GetDirectoryName(current)!)
        {
            if (Resolve(current) is { } real)
            {
                return rest.Aggregate(real, Path.Join);
            }
            if (Path.GetDirectoryName(current) is null)
            {
                return fullPath;
            }
            rest.Push(Path.GetFileName(current));
        }
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> or below it (both absolute, normalized).</summary>
    public static bool IsInside(string path, string root)
    {
        var r = Path.TrimEndingDirectorySeparator(root);
        return path == r || path.StartsWith(r + "/", StringComparison.Ordinal) || r == "/";
    }

    private static string? Resolve(string path)
    {
        var result = NativeRealPath(path, IntPtr.Zero);
        if (result == IntPtr.Zero)
        {
            return null;
        }
        try
        {
            return Marshal.PtrToStringUTF8(result);
        }
        finally
        {
            Free(result);
        }
    }

    [DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
    private static extern IntPtr NativeRealPath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc", EntryPoint = "free")]
    private static extern void Free(IntPtr pointer);
}
